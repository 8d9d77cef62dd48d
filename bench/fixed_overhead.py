"""Fixed overhead of grading one week 1 submission on a warm worker, and one worker's throughput.

    .venv/bin/python -m bench.fixed_overhead [--runs N] [--backend bwrap|docker]

Measured side by side in one run, on the reference solution:
- ``grade_s``: wall time of ``grade()`` (intake, the public and the hidden stage, scoring) after
  one warm-up grading (hidden data built, runtime layout and sandbox probes cached), with
  pre-started sandboxes off and on (``ARENA_SPARE_SANDBOXES``, interleaved run by run: with
  them, the hidden stage's sandbox imports torch beside the public stage);
- ``compute_s``: the pure compute of the same checks in-process: the solution imported once,
  every public and hidden case called, as the harness calls them, in this process;
- ``overhead_s = grade_s - compute_s``: what grading adds (two sandboxes, each importing torch);
- ``worker_path``: what the platform's worker waits for, job to report, with the grader as a
  subprocess: ``cold`` starts ``python -m grader grade`` for the job (the grader's own imports,
  then both sandboxes); ``warm`` hands the job to a ``python -m grader warm`` process the
  worker started when its last grading ended (``submissions/warm_grader.py``: imports done,
  both stages' sandboxes waiting, given ``WARM_SETTLE_S`` to get there, as the gap between two
  gradings does); interleaved run by run;
- ``harness_start_s``: one sandbox starting the harness's imports, before (the MAC counter and
  triton imported eagerly, as the harness did) and after (imported on first use), interleaved;
- ``per_minute``: week 1 gradings one worker completes per minute, one sandbox at a time (no
  slots) and with ``ARENA_SANDBOX_SLOTS=<cores>`` (as many gradings at once as slots, each on
  cores of its own).
``cpu_s`` is this process's CPU time plus that of the children it reaped: the trusted side's
work; most of the sandboxes' own CPU time (torch's import) does not reach it (their processes
are reaped inside the sandbox's PID namespace and killed with its cgroup), so it is no measure
of a sandbox's cost. On a loaded machine the wall figures mostly measure the wait for a core.
Writes bench/results/fixed_overhead.json and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arena_datasets.hidden import ensure_hidden
from grader.bundle import load_bundle
from grader.grading import GradeOptions, grade
from grader.kinds.functions.grade import Case, parse_cases
from grader.sandbox import PYTHON_PLACEHOLDER, Limits, Mount, SandboxSpec, get_sandbox
from grader.stages.config import HARNESS_DIR
from grader.stages.context import load_npz

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "assignments" / "week1-tensors"
RESULTS = Path(__file__).resolve().parent / "results" / "fixed_overhead.json"
HARNESS_IMPORTS = {
    "before": "import arena_harness.server, torch.utils.flop_counter",
    "after": "import arena_harness.server",
}


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


SPARES = {"spares_off": "0", "spares_on": "1"}


def _timed_grades(backend: str, runs: int) -> dict[str, dict[str, Any]]:
    """Gradings with spares off and on, interleaved so that both see the same load."""
    samples = {label: {"wall": [], "cpu": [], "stages": []} for label in SPARES}
    saved = os.environ.get("ARENA_SPARE_SANDBOXES")
    try:
        for _ in range(runs):
            for label, flag in SPARES.items():
                os.environ["ARENA_SPARE_SANDBOXES"] = flag
                wall, cpu = time.monotonic(), _cpu()
                report = grade(BUNDLE, BUNDLE / "solution", GradeOptions(sandbox=backend))
                samples[label]["wall"].append(time.monotonic() - wall)
                samples[label]["cpu"].append(_cpu() - cpu)
                assert report.status == "scored" and report.score == 100, report.to_dict()
                samples[label]["stages"].append(
                    sum(1 for k in report.timings if k.endswith("_stage_s"))
                )
    finally:
        if saved is None:
            os.environ.pop("ARENA_SPARE_SANDBOXES", None)
        else:
            os.environ["ARENA_SPARE_SANDBOXES"] = saved
    return {
        label: {
            "wall_s": _median(s["wall"]),
            "cpu_s": _median(s["cpu"]),
            "stages": max(s["stages"]),
        }
        for label, s in samples.items()
    }


WARM_SETTLE_S = 15.0


def _worker_paths(backend: str, runs: int) -> dict[str, Any]:
    job = ["grade", "--assignment", str(BUNDLE), "--submission", str(BUNDLE / "solution")]
    job += ["--json", "--sandbox", backend]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    samples: dict[str, list[float]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="arena-bench-warm-") as folder:
        key_file = Path(folder) / "key.json"
        warm_command = [sys.executable, "-m", "grader", "warm", "--key-file", str(key_file)]
        first = subprocess.run(
            warm_command,
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )  # writes the key
        assert json.loads(first.stdout)["score"] == 100, first.stderr[-2000:]
        for _ in range(runs):
            began = time.monotonic()
            cold = subprocess.run(
                [sys.executable, "-m", "grader", *job],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                check=True,
            )
            samples["cold"].append(time.monotonic() - began)
            assert json.loads(cold.stdout)["score"] == 100, cold.stderr[-2000:]
            waiting = subprocess.Popen(
                warm_command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            time.sleep(WARM_SETTLE_S)
            began = time.monotonic()
            out, err = waiting.communicate(json.dumps(job))
            samples["warm"].append(time.monotonic() - began)
            assert waiting.returncode == 0 and json.loads(out)["score"] == 100, err[-2000:]
    return {label: {"wall_s": _median(values)} for label, values in samples.items()}


def _call_args(case: Case, arg_type: str) -> tuple[list[Any], dict[str, Any]]:
    def value(role: str, name: object, array: np.ndarray) -> Any:
        if f"{role}/{name}" in case.scalars:
            return array.item()
        return array.copy() if arg_type == "numpy" else torch.from_numpy(array.copy())

    args = [value("args", k, a) for k, a in sorted(case.args.items())]
    return args, {k: value("kwargs", k, a) for k, a in case.kwargs.items()}


def _compute(runs: int) -> dict[str, Any]:
    """The checks' own work, in-process: every public and hidden case of every part."""
    bundle = load_bundle(BUNDLE)
    hidden = ensure_hidden(BUNDLE)
    spec = importlib.util.spec_from_file_location(
        "week1_solution", BUNDLE / "solution" / "submission.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    work: list[tuple[Any, list[Any], dict[str, Any]]] = []
    for part in bundle.parts:
        folder = hidden / part.name
        groups = [parse_cases(load_npz(folder / "inputs.npz"), load_npz(folder / "labels.npz"))]
        if (folder / "public.npz").is_file():
            groups.append(
                parse_cases(load_npz(folder / "public.npz"), load_npz(folder / "public_labels.npz"))
            )
        for check in part.checks:
            for cases in groups:
                for case in cases.get(check.name, []):
                    work.append(
                        (getattr(module, check.function), *_call_args(case, check.arg_type))
                    )
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.monotonic(), _cpu()
        for function, args, kwargs in work:
            function(*args, **kwargs)
        walls.append(time.monotonic() - wall)
        cpus.append(_cpu() - cpu)
    return {"wall_s": _median(walls), "cpu_s": _median(cpus), "calls": len(work)}


def _harness_start(backend: str, runs: int) -> dict[str, Any]:
    sandbox = get_sandbox(backend)
    samples: dict[str, dict[str, list[float]]] = {
        k: {"wall": [], "cpu": []} for k in HARNESS_IMPORTS
    }
    for _ in range(runs):
        for label, code in HARNESS_IMPORTS.items():  # interleaved: the same load for both
            spec = SandboxSpec(
                argv=[PYTHON_PLACEHOLDER, "-c", code],
                mounts=[Mount(HARNESS_DIR, "/arena/harness")],
                limits=Limits(wall_seconds=300),
            )
            wall, cpu = time.monotonic(), _cpu()
            result = sandbox.run(spec)
            samples[label]["wall"].append(time.monotonic() - wall)
            samples[label]["cpu"].append(_cpu() - cpu)
            assert result.exit_code == 0, result.stderr.decode(errors="replace")
    return {
        label: {"wall_s": _median(s["wall"]), "cpu_s": _median(s["cpu"])}
        for label, s in samples.items()
    }


def _per_minute(backend: str, gradings: int, slots: int | None) -> dict[str, Any]:
    """Gradings completed per minute by `slots` graders at once (None: one, unpinned)."""
    saved = {k: os.environ.get(k) for k in ("ARENA_SANDBOX_SLOTS", "ARENA_SANDBOX_CORES_PER_SLOT")}
    if slots:
        os.environ["ARENA_SANDBOX_SLOTS"] = str(slots)
        os.environ.pop("ARENA_SANDBOX_CORES_PER_SLOT", None)
    else:
        os.environ.pop("ARENA_SANDBOX_SLOTS", None)
    failures: list[str] = []

    def grader(count: int) -> None:
        for _ in range(count):
            report = grade(BUNDLE, BUNDLE / "solution", GradeOptions(sandbox=backend))
            if report.status != "scored" or report.score != 100:
                failures.append(report.status)

    workers = slots or 1
    threads = [threading.Thread(target=grader, args=(gradings,)) for _ in range(workers)]
    try:
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert not failures, failures
    done = workers * gradings
    return {
        "slots": slots or 0,
        "gradings": done,
        "elapsed_s": round(elapsed, 2),
        "per_minute": round(done * 60 / elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.fixed_overhead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", default="bwrap")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()
    grade(BUNDLE, BUNDLE / "solution", GradeOptions(sandbox=args.backend))  # warm-up
    graded = _timed_grades(args.backend, args.runs)
    compute = _compute(args.runs)
    worker = _worker_paths(args.backend, args.runs)
    start = _harness_start(args.backend, args.runs)
    throughput = [_per_minute(args.backend, args.runs, None)]
    if cores > 1:
        throughput.append(_per_minute(args.backend, args.runs, cores))
    result = {
        "bundle": "week1-tensors",
        "backend": args.backend,
        "runs": args.runs,
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": cores,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "grade": graded,
        "compute": compute,
        "overhead": {
            label: {
                "wall_s": round(g["wall_s"] - compute["wall_s"], 3),
                "cpu_s": round(g["cpu_s"] - compute["cpu_s"], 3),
                "per_stage_wall_s": round((g["wall_s"] - compute["wall_s"]) / g["stages"], 3),
            }
            for label, g in graded.items()
        },
        "worker_path": {
            label: {**w, "overhead_s": round(w["wall_s"] - compute["wall_s"], 3)}
            for label, w in worker.items()
        },
        "harness_start": start,
        "throughput": throughput,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
