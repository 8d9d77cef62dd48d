"""Fixed cost of a sandbox run, per backend: start, `import torch`, teardown.

    .venv/bin/python -m bench.sandbox_overhead [--runs N] [--backends bwrap,docker,none]

For each backend and N runs of two workloads (`/bin/true`, and `python -c "import torch"`):
`start_s` (until the process is running), `run_s` (until it exited), `teardown_s` (removing
the sandbox) and `total_s`; medians and p90s. Next to them, `docker run --rm` of a bare
container running /bin/true, the floor of any container-based run. Writes
bench/results/sandbox_overhead.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.sandbox import PYTHON_PLACEHOLDER, Limits, SandboxSpec, get_sandbox
from grader.sandbox.container_config import runner_image_name

RESULTS = Path(__file__).resolve().parent / "results" / "sandbox_overhead.json"
WORKLOADS = {
    "true": ["/bin/true"],
    "import_torch": [PYTHON_PLACEHOLDER, "-c", "import torch; torch.ones(3).sum()"],
}
PHASES = ("start_s", "run_s", "teardown_s", "total_s")


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 4), "p90": round(p90, 4)}


def _time_one(backend: str, argv: list[str]) -> dict[str, float]:
    sandbox = get_sandbox(backend)
    spec = SandboxSpec(argv=argv, limits=Limits(wall_seconds=120), env={"OMP_NUM_THREADS": "2"})
    began = time.perf_counter()
    context = sandbox.open(spec)
    process = context.__enter__()
    started = time.perf_counter()
    result = process.wait()
    ran = time.perf_counter()
    context.__exit__(None, None, None)
    ended = time.perf_counter()
    if result.exit_code != 0:
        raise GraderError(f"{backend} run failed: {result.stderr.decode(errors='replace')}")
    return {
        "start_s": started - began,
        "run_s": ran - started,
        "teardown_s": ended - ran,
        "total_s": ended - began,
    }


def _bench_backends(backends: list[str], runs: int) -> dict[str, Any]:
    """Backends are interleaved run by run, so load from other jobs hits them alike."""
    samples: dict[str, dict[str, list[dict[str, float]]]] = {b: {} for b in backends}
    for workload, argv in WORKLOADS.items():
        for backend in backends:
            _time_one(backend, argv)  # warm-up: page cache, image layers
            samples[backend][workload] = []
        for _ in range(runs):
            for backend in backends:
                samples[backend][workload].append(_time_one(backend, argv))
    return {
        backend: {
            workload: {phase: _summary([s[phase] for s in runs_]) for phase in PHASES}
            for workload, runs_ in by_workload.items()
        }
        for backend, by_workload in samples.items()
    }


def _docker_floor(runs: int) -> dict[str, Any]:
    argv = ["docker", "run", "--rm", "--network", "none", "--log-driver", "none"]
    argv += ["-v", "/usr:/usr:ro", runner_image_name(), "/bin/true"]
    subprocess.run(argv, check=True, capture_output=True)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        samples.append(time.perf_counter() - began)
    return {"true": {"total_s": _summary(samples)}}


def _print_table(results: dict[str, Any]) -> None:
    print(f"{'backend':<22}{'workload':<14}" + "".join(f"{p:>16}" for p in PHASES))
    for backend, workloads in results["backends"].items():
        for workload, phases in workloads.items():
            cells = [
                f"{phases[p]['median']:.3f}/{phases[p]['p90']:.3f}" if p in phases else "-"
                for p in PHASES
            ]
            print(f"{backend:<22}{workload:<14}" + "".join(f"{c:>16}" for c in cells))
    print("(seconds, median/p90)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="bwrap,docker,none")
    args = parser.parse_args(argv)
    logging.getLogger("grader.sandbox.unsafe").setLevel(logging.ERROR)  # one warning per run
    results: dict[str, Any] = {
        "runs": args.runs,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
    }
    backends = args.backends.split(",")
    results["backends"] = _bench_backends(backends, args.runs)
    if "docker" in backends:
        results["backends"]["docker run --rm (floor)"] = _docker_floor(args.runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    _print_table(results)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
