"""Leaderboard page and API under load: 200 mentees, 20,000 scored submissions in PostgreSQL,
20 concurrent clients on loopback against gunicorn as compose runs it (3 workers x 4 threads).

    .venv/bin/python -m bench.leaderboard_load [--mentees 200] [--submissions 20000]
        [--clients 20] [--requests 40]

A fresh PostgreSQL database (tests/platform/stack.py: POSTGRES_ADMIN_URL), the real course
bundles, week 3's competition board with every submission scored (reports shaped like a real
week 3 report, scores and metrics varied), each mentee's entry computed by the platform's own
``update_entry``. Each client is a logged-in mentee (API token; portal session cookie) and sends
its requests back to back; latency is measured per request at the client. Goal: p95 < 100 ms.
Writes bench/results/leaderboard_load.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "platform"))
from stack import Stack, drop_postgres_database, wait_until

RESULTS = REPO / "bench" / "results" / "leaderboard_load.json"
SLUG = "week3-cnn"
REPORT = json.loads((REPO / "tests" / "platform" / "reports" / f"{SLUG}.json").read_text())
GOAL_P95_MS = 100.0


def fill(mentees: int, submissions: int) -> dict[str, Any]:
    """Mentees, scored submissions and board entries, written through the ORM."""
    import hashlib

    from courses.models import Assignment
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone
    from leaderboards.services import update_entry
    from submissions.models import Status, Submission

    assignment = Assignment.objects.get(slug=SLUG)
    password = make_password("bench-pass-1")
    User.objects.bulk_create(
        User(username=f"bench{i:03d}", password=password) for i in range(mentees)
    )
    users = list(User.objects.filter(username__startswith="bench").order_by("username"))
    rng = random.Random(20261202)
    now = timezone.now()
    started = time.monotonic()
    rows = []
    for number in range(submissions):
        report = json.loads(json.dumps(REPORT))
        score = round(rng.uniform(20, 100), 2)
        report["score"] = score
        for key in ("accuracy", "throughput_ips"):
            if isinstance(report["metrics"].get(key), int | float):
                report["metrics"][key] = report["metrics"][key] * rng.uniform(0.8, 1.1)
        sha = hashlib.sha256(f"bench {number}".encode()).hexdigest()
        created = now - timezone.timedelta(seconds=submissions - number)
        rows.append(Submission(
            assignment=assignment, owner=users[number % mentees], file=f"{sha[:2]}/{sha}.py",
            sha256=sha, original_filename="submission.py", size_bytes=2048,
            status=Status.SCORED, score=score, report=report, created_at=created,
            started_at=created, finished_at=created, attempt=1,
        ))
    Submission.objects.bulk_create(rows, batch_size=1000)
    inserted = time.monotonic() - started
    started = time.monotonic()
    for user in users:
        update_entry(assignment, user)
    return {"insert_s": round(inserted, 1), "entries_s": round(time.monotonic() - started, 1)}


def session_cookie(username: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username=username)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def api_token(base: str, username: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/token/",
                             json={"username": username, "password": "bench-pass-1"}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (``/proc``), gone ones counted as 0."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _pids(match: str) -> list[int]:
    """Processes whose command line holds ``match`` (gunicorn's workers, PostgreSQL's
    backends)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if match.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def load(url: str, sessions: list[requests.Session], count: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def client(session: requests.Session) -> None:
        for _ in range(3):  # warm-up: connections, gunicorn threads, query caches
            session.get(url, timeout=60)
        barrier.wait()
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            response = session.get(url, timeout=60)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                with lock:
                    errors.append(str(response.status_code))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in sessions]
    # Where the two cores went: this process (the clients), gunicorn, PostgreSQL's backends
    # (postgres: the server, whoever owns it). The warm-up requests count too: a small share.
    servers, databases = _pids("gunicorn"), _pids("postgres")
    cpu_before = (time.process_time(), _cpu_s(servers), _cpu_s(databases))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    cpu_after = (time.process_time(), _cpu_s(servers), _cpu_s(databases))
    spent = [round(after - before, 1) for before, after in zip(cpu_before, cpu_after)]
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "requests": len(ordered), "errors": len(errors),
        "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered), 1), "max_ms": round(ordered[-1], 1),
        "throughput_rps": round(len(ordered) / wall, 1),
        "wall_s": round(wall, 1),
        "cpu_s": {"clients": spent[0], "gunicorn": spent[1], "postgresql": spent[2]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="per client and endpoint")
    args = parser.parse_args()
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="arena-bench-board-"))
    stack = Stack(home=home, services=True)
    try:
        stack.prepare()
        stack.env.update(ARENA_ASSIGNMENTS=str(REPO / "assignments"), ARENA_DEMO="0")
        stack.manage("seed_course")
        os.environ.update(stack.env)
        sys.path.insert(0, str(REPO / "platform"))
        import django

        django.setup()
        setup = fill(args.mentees, args.submissions)
        stack.web = stack._spawn("web", [
            sys.executable, "-m", "gunicorn", "arena_site.wsgi", "--bind",
            f"127.0.0.1:{stack.port}", "--workers", "3", "--threads", "4",
            "--no-control-socket",
        ])
        wait_until(lambda: _answers(stack.url), 60, "gunicorn")
        names = [f"bench{i:03d}" for i in range(args.clients)]
        api_sessions, page_sessions = [], []
        for name in names:
            api = requests.Session()
            api.headers["Authorization"] = f"Token {api_token(stack.url, name)}"
            api_sessions.append(api)
            page = requests.Session()
            page.cookies.set("sessionid", session_cookie(name))
            page_sessions.append(page)
        load_before = os.getloadavg()
        api = load(f"{stack.url}/api/v1/assignments/{SLUG}/leaderboard/", api_sessions,
                   args.requests)
        page = load(f"{stack.url}/assignments/{SLUG}/leaderboard/", page_sessions,
                    args.requests)
        results = {
            "what": "leaderboard API and page, concurrent logged-in mentees on loopback",
            "mentees": args.mentees, "submissions": args.submissions, "clients": args.clients,
            "gunicorn": "3 workers x 4 threads", "goal_p95_ms": GOAL_P95_MS,
            "setup": setup, "api": api, "page": page,
            "cpu_count": os.cpu_count(), "load_average_before": [round(x, 1) for x in load_before],
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    finally:
        stack.stop()
        drop_postgres_database()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'endpoint':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>8}")
    for name in ("api", "page"):
        r = results[name]
        print(f"{name:<10}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}"
              f"{r['throughput_rps']:>8}{r['errors']:>8}  cpu s {r['cpu_s']} in {r['wall_s']} s")
    print(f"goal p95 < {GOAL_P95_MS:.0f} ms; load average before: {results['load_average_before']}")


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/v1/assignments/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
