"""The trusted timer against a plain in-process evaluation loop, and its stability.

    .venv/bin/python -m bench.grader_timer [--sandbox bwrap] [--regrades 5] [--threads 2]

(1) Overhead: images/s of a small CNN measured through the whole grading path (sandbox,
harness, socket, shared memory, the trusted clock) divided by images/s of the same model on
the same batches in this process, measured in the same run, before and after. Goal >= 0.95.
(3) Stability: the coefficient of variation of throughput over N regrades (a fresh sandbox
each). Goal < 3%. Writes bench/results/grader_timer.json and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from grader.bundle import OutputSpec, Timing
from grader.loadgen import LoadGenerator, input_bytes, output_bytes
from grader.parts.stage import StageConfig, run_stage
from grader.sandbox import Limits, get_sandbox

RESULTS = Path(__file__).resolve().parent / "results" / "grader_timer.json"
IMAGES, SHAPE, BATCH, CLASSES = 1024, (1, 28, 28), 64, 10
TIMING = Timing(
    batch_size=BATCH,
    warmup_queries=5,
    min_queries=32,
    min_duration_s=3.0,
    repeats=5,
    query_timeout_s=30.0,
)
MODEL_SOURCE = """
import torch
from torch import nn


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def build_model():
    return nn.Sequential(*block(1, 16), *block(16, 16), nn.MaxPool2d(2), *block(16, 32),
                         *block(32, 32), nn.MaxPool2d(2), *block(32, 64),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
"""


def make_submission(folder: Path) -> torch.nn.Module:
    (folder / "submission.py").write_text(MODEL_SOURCE)
    spec = importlib.util.spec_from_file_location("bench_submission", folder / "submission.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.build_model().eval()
    save_file(model.state_dict(), str(folder / "model.safetensors"))
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    return model


def in_process_ips(model: torch.nn.Module, images: np.ndarray, queries: int) -> float:
    """The same closed loop without the grader: one batch at a time, timed per batch."""
    batches = [images[i : i + BATCH] for i in range(0, len(images), BATCH)]
    for batch in batches[: TIMING.warmup_queries]:
        with torch.inference_mode():
            model(torch.from_numpy(batch))
    total_ns, count = 0, 0
    for q in range(queries):
        batch = batches[q % len(batches)]
        begin = time.perf_counter_ns()
        with torch.inference_mode():
            model(torch.from_numpy(batch)).numpy().copy()
        total_ns += time.perf_counter_ns() - begin
        count += len(batch)
    return count / (total_ns / 1e9)


def graded_ips(
    sandbox_name: str, submission: Path, images: np.ndarray, threads: int
) -> dict[str, float]:
    outputs = (OutputSpec("logits", (CLASSES,)),)
    config = StageConfig(
        name="hidden",
        submission=submission,
        limits=Limits(wall_seconds=300, cpu_seconds=1200, memory_mb=4096),
        sandbox=get_sandbox(sandbox_name),
        threads=threads,
        in_bytes=input_bytes(TIMING, SHAPE),
        out_bytes=output_bytes(TIMING, outputs),
    )

    def body(session):
        session.request(
            {
                "op": "load",
                "entry": "submission.py",
                "builder": "build_model",
                "weights": "model.safetensors",
            },
            what="load",
            timeout=120,
        )
        return LoadGenerator(session, outputs, TIMING, seed=1).run(images).metrics()

    outcome = run_stage(config, body)
    if outcome.failure is not None:
        raise RuntimeError(f"{outcome.failure.kind}: {outcome.failure.message}\n{outcome.logs}")
    return outcome.value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--regrades", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = np.random.default_rng(0).standard_normal((IMAGES, *SHAPE)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as name:
        folder = Path(name)
        folder.chmod(0o755)
        model = make_submission(folder)
        runs = []
        for _ in range(args.regrades):
            graded = graded_ips(args.sandbox, folder, images, args.threads)
            plain = in_process_ips(model, images, int(graded["timed_queries"]))
            runs.append({"graded": graded, "in_process_ips": plain})
    report(args, runs)


def report(args: argparse.Namespace, runs: list[dict]) -> None:
    graded = [r["graded"]["throughput_ips"] for r in runs]
    plain = [r["in_process_ips"] for r in runs]
    ratios = [g / p for g, p in zip(graded, plain)]
    cv = statistics.pstdev(graded) / statistics.mean(graded)
    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": torch.get_num_threads(),
            "torch": torch.__version__,
        },
        "setup": {
            "sandbox": args.sandbox,
            "threads": args.threads,
            "batch": BATCH,
            "images": IMAGES,
            "input_shape": SHAPE,
            "regrades": args.regrades,
        },
        "overhead_ratio_median": statistics.median(ratios),
        "overhead_ratio_goal": 0.95,
        "throughput_cv": cv,
        "throughput_cv_goal": 0.03,
        "runs": runs,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(
        f"{'run':>4} {'graded img/s':>13} {'in-process img/s':>17} {'ratio':>6} "
        f"{'p50 ms':>7} {'p90 ms':>7}"
    )
    for i, (run, ratio) in enumerate(zip(runs, ratios), 1):
        g = run["graded"]
        print(
            f"{i:>4} {g['throughput_ips']:>13.1f} {run['in_process_ips']:>17.1f} "
            f"{ratio:>6.3f} {g['latency_p50_ms']:>7.2f} {g['latency_p90_ms']:>7.2f}"
        )
    print(f"(1) overhead ratio, median: {statistics.median(ratios):.3f} (goal >= 0.95)")
    print(f"(3) throughput CV over {len(runs)} regrades: {cv * 100:.2f}% (goal < 3%)")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
