"""The trusted timer against a plain in-process evaluation loop, and its stability.

    .venv/bin/python -m bench.grader_timer [--sandbox bwrap] [--regrades 5] [--threads 2]

(1) Overhead: images/s of a small CNN measured through the whole grading path (sandbox,
harness, socket, shared memory, the trusted clock) divided by images/s of the same model on
the same batches in this process, measured in pairs (each batch here, then through the
grader, back to back) so both see the same load. Goal >= 0.95.
(3) Stability: the coefficient of variation of throughput over N regrades (a fresh sandbox
each). Goal < 3%. Writes bench/results/grader_timer.json and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from grader.bundle import OutputSpec, Timing
from grader.harness.arena_harness import wire
from grader.loadgen import LoadGenerator, input_bytes, output_bytes
from grader.sandbox import Limits, get_sandbox
from grader.stages.session import StageConfig, run_stage

PAIR_PASSES = 2  # paired queries: the hidden set twice
RESULTS = Path(__file__).resolve().parent / "results" / "grader_timer.json"
IMAGES, SHAPE, BATCH, CLASSES = 1024, (1, 28, 28), 64, 10
TIMING = Timing(
    batch_size=BATCH,
    warmup_queries=5,
    min_queries=32,
    min_duration_s=3.0,
    repeats=5,
    query_timeout_s=60.0,
)
CNN_SOURCE = """
import torch
from torch import nn


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def build_model():
    return nn.Sequential(*block(1, 8), *block(8, 8), nn.MaxPool2d(2), *block(8, 16),
                         *block(16, 16), nn.MaxPool2d(2), *block(16, 32),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
"""
# No compute at all: what is left is the cost of the grading path itself.
ECHO_SOURCE = """
from torch import nn


class Echo(nn.Module):
    def forward(self, x):
        return x.flatten(1)[:, :10] * 1.0


def build_model():
    return Echo()
"""
MODELS = {"cnn": CNN_SOURCE, "echo": ECHO_SOURCE}


def make_submission(folder: Path, source: str) -> torch.nn.Module:
    (folder / "submission.py").write_text(source)
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


def plain_latency_ns(model: torch.nn.Module, batch: np.ndarray) -> int:
    """One batch in this process, the way an evaluation loop without a grader would run it."""
    begin = time.perf_counter_ns()
    with torch.inference_mode():
        model(torch.from_numpy(batch)).numpy().copy()
    return time.perf_counter_ns() - begin


def regrade(
    sandbox_name: str, submission: Path, model: torch.nn.Module, images: np.ndarray, threads: int
) -> dict[str, float]:
    """One fresh sandbox: the timer's own run, then paired queries for the overhead ratio.

    Pairs (the same batch in this process, then through the grader, back to back) see the
    same load on a shared machine, which separate runs minutes apart do not.
    """
    outputs = (OutputSpec("logits", (CLASSES,)),)
    config = StageConfig(
        name="hidden",
        submission=submission,
        limits=Limits(wall_seconds=500, cpu_seconds=2000, memory_mb=4096),
        sandbox=get_sandbox(sandbox_name),
        threads=threads,
        in_bytes=input_bytes(TIMING, SHAPE),
        out_bytes=output_bytes(TIMING, outputs),
    )
    batches = [images[i : i + BATCH] for i in range(0, len(images), BATCH)]

    def body(session) -> dict[str, float]:
        model = wire.Model("build_model", weights=wire.Weights("model.safetensors"))
        session.load(wire.Load("submission.py", model=model), what="load")
        generator = LoadGenerator(session, outputs, TIMING, seed=1)
        metrics = generator.run(images).metrics()
        plain_ns = graded_ns = 0
        for batch in batches * PAIR_PASSES:
            plain_ns += plain_latency_ns(model, batch)
            graded_ns += generator.query(batch)[0]
        metrics["paired_plain_ips"] = len(batches) * PAIR_PASSES * BATCH / (plain_ns / 1e9)
        metrics["paired_graded_ips"] = len(batches) * PAIR_PASSES * BATCH / (graded_ns / 1e9)
        return metrics

    outcome = run_stage(config, body)
    if outcome.failure is not None:
        raise RuntimeError(f"{outcome.failure.kind}: {outcome.failure.message}\n{outcome.logs}")
    return outcome.value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--regrades", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", choices=sorted(MODELS), default="cnn")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = np.random.default_rng(0).standard_normal((IMAGES, *SHAPE)).astype(np.float32)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as name:
        folder = Path(name)
        folder.chmod(0o755)
        model = make_submission(folder, MODELS[args.model])
        for batch in images[: TIMING.warmup_queries * BATCH].reshape(-1, BATCH, *SHAPE):
            plain_latency_ns(model, batch)
        runs = [
            regrade(args.sandbox, folder, model, images, args.threads) for _ in range(args.regrades)
        ]
    report(args, runs, load_before, os.getloadavg())


def summarize(runs: list[dict]) -> dict[str, float]:
    """(1) as the goal states it: the timer's own run against the in-process loop of the same
    regrade; the paired ratio alternates the two query by query, which also charges the
    grader for the caches and thread pools they evict from each other."""
    graded = [r["throughput_ips"] for r in runs]
    return {
        "overhead_ratio_median": statistics.median(
            r["throughput_ips"] / r["paired_plain_ips"] for r in runs
        ),
        "paired_ratio_median": statistics.median(
            r["paired_graded_ips"] / r["paired_plain_ips"] for r in runs
        ),
        "throughput_cv": statistics.pstdev(graded) / statistics.mean(graded),
    }


def report(
    args: argparse.Namespace, runs: list[dict], load_before: tuple, load_after: tuple
) -> None:
    summary = summarize(runs)
    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "torch": torch.__version__,
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "setup": {
            "sandbox": args.sandbox,
            "model": args.model,
            "threads": args.threads,
            "batch": BATCH,
            "images": IMAGES,
            "input_shape": SHAPE,
            "regrades": args.regrades,
            "paired_queries_per_regrade": PAIR_PASSES * IMAGES // BATCH,
        },
        **summary,
        "overhead_ratio_goal": 0.95,
        "throughput_cv_goal": 0.03,
        "runs": runs,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(
        f"{'run':>4} {'timer img/s':>12} {'in-process':>11} {'ratio':>6} {'paired':>7} "
        f"{'p50 ms':>7} {'p90 ms':>7}"
    )
    for i, run in enumerate(runs, 1):
        plain = run["paired_plain_ips"]
        print(
            f"{i:>4} {run['throughput_ips']:>12.1f} {plain:>11.1f} "
            f"{run['throughput_ips'] / plain:>6.3f} {run['paired_graded_ips'] / plain:>7.3f} "
            f"{run['latency_p50_ms']:>7.2f} {run['latency_p90_ms']:>7.2f}"
        )
    print(
        f"(1) timer / in-process throughput, median: {summary['overhead_ratio_median']:.3f}"
        f" (goal >= 0.95); query-by-query pairs: {summary['paired_ratio_median']:.3f}"
    )
    print(
        f"(3) throughput CV over {len(runs)} regrades: {summary['throughput_cv'] * 100:.2f}%"
        " (goal < 3%)"
    )
    print(
        f"load average before/after: {load_before[0]:.1f} / {load_after[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
