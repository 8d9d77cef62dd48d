"""Week 4 graded end to end: wall and CPU time, with the reference cache cold and warm.

    .venv/bin/python -m bench.week4_grading_time [--sandbox bwrap] [--before-tree DIR]

Grades ``assignments/week4-architectures/solution`` with ``python -m grader grade`` (a fresh
process each time, as a worker runs it) three ways:

- ``before`` (only with ``--before-tree``): the grader of another source tree, e.g. the commit
  before the reference cache (``git archive <commit> | tar -x -C DIR``), which rebuilt every
  reference in every grading and cut training at a wall-clock ceiling;
- ``cold``: this tree with week 4's entries of the reference cache removed (the first grading
  of a bundle version on a worker: it builds them);
- ``warm``: this tree again (every later grading: it reads and verifies them).

For each: wall seconds, CPU seconds of the grader and everything it started (sandboxes
included, from ``RUSAGE_CHILDREN``), the score and the report's per-stage timings. CPU time is
the figure that does not move with the machine's load; wall time is what the student waits.
Writes bench/results/week4_grading_time.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "week4_grading_time.json"
SLUG = "week4-architectures"


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade_once(tree: Path, sandbox: str) -> dict[str, Any]:
    """One grading in a fresh process from ``tree``; its times and the report's figures."""
    argv = [
        sys.executable, "-m", "grader", "grade", "--assignment", SLUG,
        "--submission", f"assignments/{SLUG}/solution", "--sandbox", sandbox, "--json",
    ]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cpu, wall = children_cpu_s(), time.monotonic()
    done = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.monotonic() - wall, children_cpu_s() - cpu
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"the grader failed in {tree}:\n{done.stderr[-3000:]}") from None
    stages = {k: round(v, 1) for k, v in report.get("timings", {}).items()}
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "status": report["status"],
        "score": report["score"],
        "timings": stages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--before-tree", type=Path, default=None)
    parser.add_argument(
        "--before-report", type=Path, default=None,
        help="instead of grading with --before-tree: the report JSON it printed earlier "
        "(its timings.total_s is the wall time; no CPU time)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    from grader.reference_cache import cache_root

    runs: dict[str, Any] = {}
    if args.before_tree is not None:
        runs["before"] = grade_once(args.before_tree.resolve(), args.sandbox)
        print(f"before: {runs['before']}", flush=True)
    elif args.before_report is not None:
        report = json.loads(args.before_report.read_text())
        runs["before"] = {
            "wall_s": round(report["timings"]["total_s"], 1),
            "cpu_s": None,
            "status": report["status"],
            "score": report["score"],
            "timings": {k: round(v, 1) for k, v in report["timings"].items()},
            "source": str(args.before_report),
        }
    shutil.rmtree(cache_root() / SLUG, ignore_errors=True)
    runs["cold"] = grade_once(REPO, args.sandbox)
    print(f"cold:   {runs['cold']}", flush=True)
    runs["warm"] = grade_once(REPO, args.sandbox)
    print(f"warm:   {runs['warm']}", flush=True)
    load = os.getloadavg()
    result = {
        "what": "week 4's solution graded end to end (python -m grader grade), one process each",
        "sandbox": args.sandbox,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_after": [round(x, 2) for x in load],
            "note": "a shared machine: wall times move with the load, CPU times much less",
        },
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'run':8s} {'wall s':>8s} {'cpu s':>8s} {'score':>7s}")
    for name, run in runs.items():
        cpu = "-" if run["cpu_s"] is None else f"{run['cpu_s']:.1f}"
        print(f"{name:8s} {run['wall_s']:8.1f} {cpu:>8s} {run['score']:7.2f}")


if __name__ == "__main__":
    main()
