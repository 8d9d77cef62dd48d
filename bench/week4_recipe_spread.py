"""Week 4's comparison: how far apart sensible training recipes land under the CPU budget.

    .venv/bin/python -m bench.week4_recipe_spread [--families alexnet,vgg16,...] [--threads 1]

Each family of ``assignments/week4-architectures`` is trained exactly as the grader trains it
(the budget's seed, batch order and images from ``grader.kinds.train.feed.batch_plan``, the
model built after ``seed_everything``), in this process rather than in a sandbox, then scored
on the 500 hidden test images the grader scores (after the batch-norm recalibration the budget's
``bn_recalibration_images`` asks for, as the grader does). Recipes (what a mentee's ``train()`` may do
with the batches it is handed):

- ``platform``: the harness's default loop (the budget's optimizer at its lr), seeds 0 and 1
  (the seed moves the initial weights and the batch order);
- ``sgd_momentum``: SGD, momentum 0.9, nesterov, lr 0.01 (0.05 with batch norm);
- ``adamw_onecycle``: ``variants/adamw_onecycle.py``'s own ``train()``;
- ``torchvision_init``: ``variants/torchvision_port.py`` (torchvision's initialisation) under
  the platform loop, seeds 0 and 1;
and what must earn nothing: ``untrained`` (the initial model), and the known-wrong uploads
that learn badly (``wrong/resnet_zero_init.py``, ``wrong/alexnet_frozen_features.py``,
``wrong/vgg16_default_init.py``). Writes bench/results/week4_recipe_spread.json (every run,
and per family the worst sensible recipe and the best broken one) and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from arena_datasets.hidden import ensure_hidden
from grader.bundle import load_bundle
from grader.harness.arena_harness import training
from grader.kinds.train.feed import batch_plan

REPO = Path(__file__).resolve().parent.parent
BUNDLE = REPO / "assignments" / "week4-architectures"
CHART = REPO / "reference_models" / "results" / "week4_budget.json"
RESULTS = Path(__file__).resolve().parent / "results" / "week4_recipe_spread.json"
FAMILIES = ("alexnet", "vgg16", "resnet18", "googlenet")
WRONG = {
    "resnet18": "wrong/resnet_zero_init.py",
    "alexnet": "wrong/alexnet_frozen_features.py",
    "vgg16": "wrong/vgg16_default_init.py",
}


def load_module(relative: str) -> ModuleType:
    path = BUNDLE / relative
    spec = importlib.util.spec_from_file_location(f"w4_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sgd_momentum(model: torch.nn.Module, batches: Any, budget: dict) -> None:
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.05 if has_bn else 0.01, momentum=0.9, nesterov=True
    )
    for images, labels in batches:
        optimizer.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()


def platform_loop(model: torch.nn.Module, batches: Any, budget: dict) -> None:
    training.default_loop(model, batches, budget)


def no_training(model: torch.nn.Module, batches: Any, budget: dict) -> None:
    pass


def run_one(
    module: ModuleType,
    family: str,
    recipe: Callable[[torch.nn.Module, Any, dict], None],
    budget: dict,
    kwargs: dict,
    data: dict[str, np.ndarray],
) -> dict[str, float]:
    """Train one model as the grader does and score it on the hidden images."""
    training.seed_everything(budget)
    model = getattr(module, family)(num_classes=10, in_channels=1, **kwargs)
    images, labels = torch.from_numpy(data["train_images"]), torch.from_numpy(data["train_labels"])
    plan = batch_plan(len(labels), budget)
    model.train()
    started = time.process_time()
    wall = time.monotonic()
    recipe(model, ((images[i], labels[i].long()) for i in plan), dict(budget))
    cpu_s, wall_s = time.process_time() - started, time.monotonic() - wall
    # As the grader does after train() returns (grader.kinds.train.recalibration): the
    # batch-norm statistics re-estimated on the first images handed out.
    recalibrate = int(budget.get("bn_recalibration_images", 0))
    if recalibrate:
        first = torch.from_numpy(np.concatenate(plan)[:recalibrate])
        training.recalibrate_batchnorm(model, images[first], int(budget["batch_size"]))
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(data["hidden_images"]))
        original = (model(torch.from_numpy(data["original_images"]))
                    if "original_images" in data else None)
    accuracy = float((logits.argmax(1).numpy() == data["hidden_labels"]).mean())
    found = {"accuracy": accuracy, "train_cpu_s": round(cpu_s, 2),
             "train_wall_s": round(wall_s, 2)}
    if original is not None:  # the same rows untransformed: what the secret's transform costs
        found["accuracy_originals"] = float(
            (original.argmax(1).numpy() == data["hidden_labels"][data["original_rows"]]).mean())
    return found


def family_data(hidden: Path, family: str) -> dict[str, np.ndarray]:
    folder = hidden / f"train_{family}"
    with (
        np.load(folder / "train.npz") as train,
        np.load(folder / "inputs.npz") as inputs,
        np.load(folder / "labels.npz") as labels,
    ):
        data = {
            "train_images": train["images"].astype(np.float32),
            "train_labels": train["labels"].astype(np.int64),
            "hidden_images": inputs["images"].astype(np.float32),
            "hidden_labels": labels["labels"],
        }
    if (folder / "originals.npz").is_file():
        with np.load(folder / "originals.npz") as kept:
            data["original_images"] = kept["images"].astype(np.float32)
            data["original_rows"] = kept["rows"]
    return data


def chart_points(runs: list[dict[str, Any]], parts: dict[str, Any],
                 hidden_count: int) -> dict[str, Any] | None:
    """The week 4 page's reference bubbles: each family's solution trained by the platform's
    loop at seed 0 under the grader's own CPU budget, its accuracy on the hidden test images,
    and its compute at the comparison's 28x28 input (``reference_models.compare`` format)."""
    from reference_models.cards import count_macs, inference_params
    from reference_models.registry import family_of

    points = []
    for family in FAMILIES:
        found = [r for r in runs if r["family"] == family and r["recipe"] == "platform"
                 and r["seed"] == 0]
        if not found:
            return None
        points.append({
            "label": family, "family": family_of(family), "accuracy": found[0]["accuracy"],
            "macs": count_macs(family, 28, 1, 10), "params": inference_params(family, 10, 1, 28),
            "training_time_s": found[0]["train_cpu_s"], "throughput_ips": None,
        })
    images = {family: parts[family].budget.images for family in FAMILIES}
    usual = max(set(images.values()), key=list(images.values()).count)
    others = [f"{count:,} for {family}" for family, count in images.items() if count != usual]
    budget = (f"the grader's CPU budget: {usual:,} training images"
              + (f" ({', '.join(others)})" if others else " for every family")
              + f", scored on {hidden_count} hidden test images")
    return {"dataset": "fashion-mnist", "budget": budget, "budget_images": images,
            "clock": "work", "threads": 1, "seed": 0, "points": points}


def runs_for(family: str) -> list[tuple[str, str, int, str]]:
    """(recipe name, module path, seed, kind) of every run of ``family``."""
    runs = [
        ("adamw_onecycle", "variants/adamw_onecycle.py", 0, "sensible"),
        ("untrained", "solution/submission.py", 0, "broken"),
    ]
    runs += [("torchvision_init", "variants/torchvision_port.py", seed, "sensible")
             for seed in (0, 1)]
    runs += [("platform", "solution/submission.py", seed, "sensible") for seed in (0, 1)]
    runs.append(("sgd_momentum", "solution/submission.py", 0, "sensible"))
    if family in WRONG:
        runs.append((Path(WRONG[family]).stem, WRONG[family], 0, "broken"))
    return runs


def recipe_of(name: str, module: ModuleType) -> Callable[[torch.nn.Module, Any, dict], None]:
    if name == "sgd_momentum":
        return sgd_momentum
    if name == "untrained":
        return no_training
    if name == "adamw_onecycle":
        return module.train  # the variant's own train()
    return platform_loop


def summarise(runs: list[dict[str, Any]], parts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per family: the worst and best sensible recipe, the best broken one, the thresholds."""
    summary: dict[str, dict[str, Any]] = {}
    for family in FAMILIES:
        mine = [r for r in runs if r["family"] == family]
        if not mine:
            continue
        sensible = [r["accuracy"] for r in mine if r["kind"] == "sensible"]
        broken = [r["accuracy"] for r in mine if r["kind"] == "broken"]
        scoring = parts[family].scoring
        summary[family] = {
            "worst_sensible": min(sensible),
            "best_sensible": max(sensible),
            "best_broken": max(broken) if broken else None,
            "thresholds": {"metric_zero": scoring.metric_zero, "metric_full": scoring.metric_full},
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--recipes", default="", help="only these recipes (comma-separated)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--combine", type=Path, nargs="*", default=None,
        help="merge the runs of earlier outputs (one process per family) into --out",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bundle = load_bundle(BUNDLE)
    parts = {p.builder: p for p in bundle.parts if p.kind == "train"}
    runs: list[dict[str, Any]] = []
    hidden_count = 0
    if args.combine is not None:
        for path in args.combine:
            earlier = json.loads(path.read_text())
            runs += earlier["runs"]
            hidden_count = earlier["hidden_images"]
    else:
        hidden = ensure_hidden(BUNDLE)
        modules: dict[str, ModuleType] = {}
        for family in args.families.split(","):
            part = parts[family]
            budget = asdict(part.budget)
            kwargs = {k: v for k, v in part.builder_kwargs.items() if k != "in_channels"}
            data = family_data(hidden, family)
            hidden_count = len(data["hidden_labels"])
            chosen = [r for r in runs_for(family) if not args.recipes or r[0] in args.recipes]
            for name, path, seed, kind in chosen:
                module = modules.setdefault(path, load_module(path))
                got = run_one(module, family, recipe_of(name, module), {**budget, "seed": seed},
                              kwargs, data)
                runs.append({"family": family, "recipe": name, "seed": seed, "kind": kind, **got})
                print(f"{family:10s} {name:28s} seed {seed}  acc {got['accuracy']:.3f} "
                      f"(originals {got.get('accuracy_originals', float('nan')):.3f})  "
                      f"cpu {got['train_cpu_s']:6.1f} s  wall {got['train_wall_s']:6.1f} s",
                      flush=True)
    summary = summarise(runs, parts)
    result = {
        "what": "week 4 CPU budget: accuracy on the hidden test images per recipe and seed",
        "budget_images": {family: parts[family].budget.images for family in FAMILIES},
        "hidden_images": hidden_count,
        "threads": args.threads,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "torch": torch.__version__},
        "runs": runs,
        "summary": summary,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    chart = chart_points(runs, parts, hidden_count)
    if chart is not None:  # every family's platform run at seed 0: the week page's references
        CHART.write_text(json.dumps(chart, indent=2) + "\n")
        print(f"chart references: {CHART.relative_to(REPO)}")
    for family, row in summary.items():
        broken = "-" if row["best_broken"] is None else f"{row['best_broken']:.3f}"
        print(f"{family:10s} worst sensible {row['worst_sensible']:.3f}  best sensible "
              f"{row['best_sensible']:.3f}  best broken {broken}  "
              f"(zero {row['thresholds']['metric_zero']}, full {row['thresholds']['metric_full']})")


if __name__ == "__main__":
    main()
