"""Recovery time with the real processes: a worker SIGKILLed mid-grading, and a broker outage.

    .venv/bin/python -m bench.recovery_time [--lease 10] [--outage-uploads 2]

Both on PostgreSQL, a Redis of the run's own (tests/platform/fault_kit.py), gunicorn, the
outbox dispatcher and Celery workers grading the platform smoke bundle in bubblewrap.

- Worker kill: a run is graded (the upload sleeps 8 s at import); its worker and everything it
  started get SIGKILL, and a replacement worker starts at once (what a supervisor does). Measured:
  from the kill, and from the lease's expiry (last heartbeat + ARENA_GRADING_LEASE), to the
  replacement claiming the run (attempt 2 starts) and to the verdict.
- Broker outage: Redis is killed (no persistence), uploads arrive meanwhile (each must answer
  201), Redis comes back after a few seconds. Measured from its return: each row's dispatch
  (the broker accepted its message), claim and verdict.

Times come from the database's own clock (PostgreSQL ``now()`` and the rows' timestamps).
Writes bench/results/recovery_time.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "platform"))
from fault_kit import OwnRedis, rows
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG, UPLOADS
from stack import ApiUser, running_stack

RESULTS = REPO / "bench" / "results" / "recovery_time.json"


def _seconds(stack: Any, sql: str, *params: Any) -> list[float | None]:
    return [None if v is None else round(float(v), 2) for (v,) in rows(stack, sql, *params)]


def worker_kill(home: Path, lease_s: int) -> dict[str, Any]:
    broker = OwnRedis(home / "redis")
    broker.start()
    try:
        with running_stack(home, services=True, broker_url=broker.url, lease_s=lease_s) as stack:
            first = stack.start_worker()
            mentee = ApiUser(stack, "mentee1", "mentee-demo")
            submission = mentee.submit(SMOKE_SLUG, UPLOADS / "slow_solution.py",
                                       name="submission.py")
            mentee.wait_status(submission, "running", seconds=300)
            time.sleep(3)  # inside the grader's run
            stack.kill_worker(first)
            ((killed_at, heartbeat_at),) = rows(
                stack, "SELECT now(), heartbeat_at FROM submissions_submission WHERE id = %s",
                submission)
            stack.start_worker()
            final = mentee.wait_final(submission, seconds=600)
            since_kill, since_lease = (
                _seconds(stack, "SELECT EXTRACT(EPOCH FROM started_at - %s) FROM "
                         "submissions_submission WHERE id = %s", ref, submission)[0]
                for ref in (killed_at, heartbeat_at)
            )
            (verdict_after_kill,) = _seconds(
                stack, "SELECT EXTRACT(EPOCH FROM finished_at - %s) FROM submissions_submission"
                " WHERE id = %s", killed_at, submission)
            return {
                "status": final["status"], "score": final["score"],
                "attempt": final.get("attempt"), "lease_s": lease_s,
                "reclaimed_after_kill_s": since_kill,
                "reclaimed_after_lease_expiry_s": round((since_lease or 0) - lease_s, 2),
                "verdict_after_kill_s": verdict_after_kill,
            }
    finally:
        broker.stop()


def broker_outage(home: Path, uploads: int, outage_s: float) -> dict[str, Any]:
    broker = OwnRedis(home / "redis")
    broker.start()
    try:
        with running_stack(home, services=True, broker_url=broker.url) as stack:
            stack.start_worker()
            mentee = ApiUser(stack, "mentee1", "mentee-demo")
            broker.stop()
            started = time.monotonic()
            ids = []
            for number in range(uploads):  # ApiUser.submit asserts 201
                upload = home / f"upload{number}.py"
                upload.write_bytes(REFERENCE_SOLUTION.read_bytes() + f"\n# {number}\n".encode())
                ids.append(mentee.submit(SMOKE_SLUG, upload, name="submission.py"))
            upload_s = round(time.monotonic() - started, 2)
            time.sleep(outage_s)
            broker.start()
            ((returned_at,),) = rows(stack, "SELECT now()")
            finals = [mentee.wait_final(submission, seconds=600) for submission in ids]
            column = {
                name: _seconds(stack, f"SELECT EXTRACT(EPOCH FROM {name} - %s) FROM "
                               "submissions_submission WHERE id = ANY(%s) ORDER BY id",
                               returned_at, ids)
                for name in ("dispatched_at", "started_at", "finished_at")
            }
            return {
                "uploads": uploads, "uploads_answered_201_in_s": upload_s,
                "outage_s": outage_s, "statuses": [f["status"] for f in finals],
                "dispatched_after_return_s": column["dispatched_at"],
                "claimed_after_return_s": column["started_at"],
                "verdict_after_return_s": column["finished_at"],
            }
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lease", type=int, default=10, help="ARENA_GRADING_LEASE (s)")
    parser.add_argument("--outage-uploads", type=int, default=2)
    parser.add_argument("--outage-seconds", type=float, default=8.0)
    args = parser.parse_args()
    load_before = os.getloadavg()
    kill = worker_kill(Path(tempfile.mkdtemp(prefix="arena-bench-kill-")), args.lease)
    outage = broker_outage(Path(tempfile.mkdtemp(prefix="arena-bench-outage-")),
                           args.outage_uploads, args.outage_seconds)
    results = {
        "worker_kill": kill, "broker_outage": outage,
        "goal": "a killed worker's run graded again within 30 s of its lease expiring; "
                "queued uploads dispatched within seconds of the broker's return",
        "cpu_count": os.cpu_count(), "load_average_before": [round(x, 1) for x in load_before],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"worker kill (lease {kill['lease_s']} s): re-claimed {kill['reclaimed_after_kill_s']} s "
          f"after the kill ({kill['reclaimed_after_lease_expiry_s']} s after the lease expired), "
          f"verdict {kill['verdict_after_kill_s']} s after the kill ({kill['status']})")
    print(f"broker outage ({outage['uploads']} uploads, all 201 in "
          f"{outage['uploads_answered_201_in_s']} s): dispatched "
          f"{outage['dispatched_after_return_s']} s, claimed {outage['claimed_after_return_s']} s, "
          f"verdicts {outage['verdict_after_return_s']} s after Redis returned")


if __name__ == "__main__":
    main()
