"""The week 4 comparison: each family trained under one time budget on one course data set."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from reference_models.cards import count_macs, inference_params
from reference_models.paths import RESULTS_DIR
from reference_models.plotting import ComparisonPoint, plot_comparison
from reference_models.registry import family_of
from reference_models.training.config import TrainConfig
from reference_models.training.data import load_dataset
from reference_models.training.run import train_model

DEFAULT_MODELS = ("alexnet", "vgg11_bn", "resnet18", "googlenet", "mobilenet_v2", "simple_cnn")


def compare(models: tuple[str, ...] = DEFAULT_MODELS, dataset: str = "fashion-mnist",
            budget_s: float = 120.0, seed: int = 0, progress: bool = True,
            clock: str = "cpu") -> list[ComparisonPoint]:
    """Train every model for ``budget_s`` seconds (same schedule shape, same data, same seed).

    ``clock="cpu"`` counts the process's CPU seconds on a CPU machine, so a model trained
    while other jobs share the cores gets the same amount of computation as one trained
    alone: the comparison is fair on a busy machine. (On CUDA the clock is always wall time.)
    """
    train_data, test_data = load_dataset(dataset)
    size, channels = train_data.input_size, train_data.in_channels
    # The clock ends every run: ``epochs`` is only an upper bound, and the schedule follows the
    # clock, so warm-up is the first 5% of the budget (50 of 1000 nominal epochs).
    # AdamW: one learning rate that suits the families with and without batch norm alike.
    config = TrainConfig(epochs=1000, warmup_epochs=50, batch_size=64, optimizer="adamw",
                         lr=1e-3, weight_decay=0.05, augment_shift=2, seed=seed,
                         time_budget_s=budget_s, budget_clock=clock,
                         bn_recalibration_batches=20, progress=progress)
    points = []
    for name in models:
        run = train_model(name, train_data, test_data, config)
        points.append(ComparisonPoint(
            label=name, family=family_of(name), accuracy=run.test_accuracy,
            macs=count_macs(name, size, channels, train_data.num_classes),
            params=inference_params(name, train_data.num_classes, channels, size),
            training_time_s=run.fit.training_time_s))
        if progress:
            print(f"{name}: accuracy {run.test_accuracy:.4f} in {run.fit.training_time_s:.0f}s")
    return points


def comparison_table(points: list[ComparisonPoint]) -> str:
    lines = ["| model | family | accuracy | MACs | params | training time |",
             "|---|---|---:|---:|---:|---:|"]
    for p in sorted(points, key=lambda p: -p.accuracy):
        time_s = f"{p.training_time_s:.0f} s" if p.training_time_s is not None else "-"
        lines.append(f"| {p.label} | {p.family} | {100 * p.accuracy:.2f}% | "
                     f"{p.macs / 1e6:,.1f} M | {p.params:,} | {time_s} |")
    return "\n".join(lines) + "\n"


def write_results(points: list[ComparisonPoint], meta: dict[str, object],
                  out_dir: Path = RESULTS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    unit = "CPU seconds" if meta.get("clock") == "cpu" else "s"
    title = f"{meta.get('dataset')}: {meta.get('budget_s'):g} {unit} of training each"
    written = [plot_comparison(points, out_dir / f"comparison.{ext}", title=title)
               for ext in ("png", "svg")]
    table = out_dir / "comparison.md"
    table.write_text(comparison_table(points))
    data = out_dir / "comparison.json"
    data.write_text(json.dumps({**meta, "points": [asdict(p) for p in points]}, indent=2) + "\n")
    return [*written, table, data]


def load_points(path: Path = RESULTS_DIR / "comparison.json") -> list[ComparisonPoint]:
    """The reference points of the last ``compare`` run (for the portal's chart)."""
    return [ComparisonPoint(**p) for p in json.loads(path.read_text())["points"]]
