"""Benchmark of ``reference_models`` (not a test): training throughput of each family at 32x32,
and time and accuracy of each reference recipe on its data set.

    python bench/reference_models_bench.py throughput
    python bench/reference_models_bench.py recipe mnist-5k-simple-cnn [--threads 1]

Results are merged into ``bench/results/reference_models.json`` (one entry per measurement, with
the machine it ran on) and printed as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import reference_models
from reference_models.training import load_recipe, run_recipe
from reference_models.training.config import TrainConfig
from reference_models.training.loop import _logits_and_loss

RESULTS = REPO / "bench" / "results" / "reference_models.json"
FAMILY_MODELS = ("alexnet", "vgg11_bn", "vgg16_bn", "resnet18", "resnet50", "googlenet",
                 "mobilenet_v2", "simple_cnn")


def _machine() -> dict[str, Any]:
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "load_average_1min": os.getloadavg()[0]}


def training_throughput(name: str, batch_size: int = 32, min_steps: int = 3,
                        min_seconds: float = 3.0) -> float:
    """Images per second of SGD training steps at 3x32x32, 10 classes: one warm-up step, then
    at least ``min_steps`` steps and ``min_seconds`` of them (so fast models are not timed on
    a handful of milliseconds)."""
    torch.manual_seed(0)
    model = reference_models.build(name, num_classes=10, in_channels=3, input_size=32).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.rand(batch_size, 3, 32, 32), torch.randint(0, 10, (batch_size,))
    config = TrainConfig()

    def step() -> None:
        _, loss = _logits_and_loss(model(x), y, config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()
    start, steps = time.perf_counter(), 0
    while steps < min_steps or time.perf_counter() - start < min_seconds:
        step()
        steps += 1
    return batch_size * steps / (time.perf_counter() - start)


def _merge(key: str, entry: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    data[key] = {**entry, "machine": _machine(),
                 "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def run_throughput(models: list[str]) -> None:
    rows = {}
    for name in models:
        rows[name] = round(training_throughput(name), 1)
        print(f"| {name} | {rows[name]} |", flush=True)
    _merge("training_throughput_32x32", {"images_per_s": rows, "batch_size": 32})


def run_one_recipe(name: str, epochs: int | None, checkpoint: Path | None = None,
                   state_dir: Path | None = None) -> None:
    recipe = load_recipe(name)
    overrides = {"epochs": epochs} if epochs else {}
    # Test accuracy after every epoch: a run cut short still says where it got to.
    result = run_recipe(recipe, checkpoint=checkpoint, state_dir=state_dir,
                        overrides=overrides, eval_each_epoch=True)
    entry = {"model": recipe.model, "dataset": recipe.dataset,
             "epochs": len(result.fit.history), "test_accuracy": result.test_accuracy,
             "training_time_s": round(result.fit.training_time_s, 1),
             "target_accuracy": recipe.target_accuracy,
             "per_epoch_test_accuracy": [h.test_accuracy for h in result.fit.history],
             "checkpoint_sha256": result.info.file_sha256 if result.info else None,
             "meets_target": (recipe.target_accuracy is None
                              or result.test_accuracy >= recipe.target_accuracy)}
    print(f"| {name} | {100 * result.test_accuracy:.2f}% | "
          f"{result.fit.training_time_s:.0f} s | {entry['epochs']} |", flush=True)
    _merge(f"recipe/{name}", entry)


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    tp = sub.add_parser("throughput")
    tp.add_argument("models", nargs="*", default=list(FAMILY_MODELS))
    rc = sub.add_parser("recipe")
    rc.add_argument("names", nargs="+")
    rc.add_argument("--epochs", type=int, default=None)
    rc.add_argument("--checkpoint-dir", type=Path, default=None,
                    help="also save each recipe's trained model there as <recipe>.safetensors")
    rc.add_argument("--state-dir", type=Path, default=None,
                    help="save the training state after every epoch under DIR/<recipe> and "
                         "resume from it (a run stopped part-way goes on where it was)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (1 is faster on a machine shared by many jobs)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.what == "throughput":
        run_throughput(args.models)
    else:
        for name in args.names:
            stem = args.checkpoint_dir / name if args.checkpoint_dir else None
            state = args.state_dir / name if args.state_dir else None
            run_one_recipe(name, args.epochs, stem, state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
