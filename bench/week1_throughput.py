"""Week 1 upload-to-verdict through the real platform, and one worker's gradings per minute.

    .venv/bin/python -m bench.week1_throughput [--uploads N] [--gap S] [--burst M]

PostgreSQL, Redis, gunicorn, the outbox dispatcher and one Celery worker (concurrency 1,
bubblewrap), as tests/platform/stack.py starts them, with week1-tensors as the only
assignment. One warm-up upload (hidden data built, worker warm), then:

- N uploads of the reference solution, each waited for, ``--gap`` seconds apart (an idle
  worker, as uploads reach it in a course: its warm grader has had time to get ready):
  ``upload_to_verdict_s`` from the POST to the database's ``finished_at`` (the database's own
  clock for both ends: the row's ``created_at``), p50 and max;
- a burst of M uploads sent at once: ``per_minute_one_worker`` is M over the time from the
  first ``created_at`` to the last ``finished_at`` (a backlog, graded back to back).

Writes bench/results/week1_throughput.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "platform"))
import stack as stack_kit
from fault_kit import rows

# A Redis database of this bench's own: the tests' (15) is flushed by theirs.
BROKER = os.environ.get("ARENA_BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")
RESULTS = REPO / "bench" / "results" / "week1_throughput.json"
SLUG = "week1-tensors"
SOLUTION = REPO / "assignments" / SLUG / "solution" / "submission.py"


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.week1_throughput")
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--gap", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arena-bench-w1-") as name:
        home = Path(name)
        only_week1 = home / "assignments"
        only_week1.mkdir()
        # A copy, not a link: the course loader wants the bundle under ARENA_ASSIGNMENTS.
        shutil.copytree(
            REPO / "assignments" / SLUG,
            only_week1 / SLUG,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        stack_kit.BUNDLES = only_week1  # the stack's ARENA_ASSIGNMENTS
        redis.Redis.from_url(BROKER).flushdb()
        with stack_kit.running_stack(home, services=True, broker_url=BROKER) as stack:
            stack.start_worker()
            mentee = stack_kit.ApiUser(stack, "mentee1", "mentee-demo")
            warm = mentee.submit(SLUG, SOLUTION, name="submission.py")
            assert mentee.wait_final(warm, seconds=900)["status"] == "scored"
            latencies: list[float] = []
            for _ in range(args.uploads):
                time.sleep(args.gap)
                submission = mentee.submit(SLUG, SOLUTION, name="submission.py")
                final = mentee.wait_final(submission, seconds=600)
                assert final["status"] == "scored", final
                ((seconds,),) = rows(
                    stack,
                    "SELECT EXTRACT(EPOCH FROM finished_at - created_at) "
                    "FROM submissions_submission WHERE id = %s",
                    submission,
                )
                latencies.append(float(seconds))
            time.sleep(args.gap)
            burst = [mentee.submit(SLUG, SOLUTION, name="submission.py") for _ in range(args.burst)]
            for submission in burst:
                assert mentee.wait_final(submission, seconds=900)["status"] == "scored"
            ((elapsed,),) = rows(
                stack,
                "SELECT EXTRACT(EPOCH FROM MAX(finished_at) - MIN(created_at)) "
                "FROM submissions_submission WHERE id = ANY(%s)",
                burst,
            )
            elapsed = float(elapsed)
    result = {
        "bundle": SLUG,
        "uploads": args.uploads,
        "gap_s": args.gap,
        "burst": args.burst,
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "upload_to_verdict_s": {
            "p50": round(statistics.median(latencies), 2),
            "max": round(max(latencies), 2),
            "all": [round(x, 2) for x in latencies],
        },
        "per_minute_one_worker": round(args.burst * 60 / elapsed, 2),
        "burst_elapsed_s": round(elapsed, 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
