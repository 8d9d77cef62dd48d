"""Training inside the sandbox under the part's budget (``train`` parts).

The budget is a fixed amount of work, not an amount of time: ``epochs`` passes over the
training split in orders drawn from ``seed``, ``batch_size`` images a step, stopping after
``images`` images when that is set. The same work gives the same model on a loaded worker and
on an idle one; ``seconds`` is only a ceiling. The default loop measures its steps and does not
start one it expects to end past the ceiling, so a slow worker gets a model trained on fewer
images rather than a failed part.

The mentee may define ``train(model, images, labels, budget)`` instead; it receives the same
budget (a plain dict) and must stay under ``seconds`` itself. Either way the trusted side also
enforces the ceiling from outside (its request deadline).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from . import wire
from .loading import HarnessFailure

# The loop stops where the next step would end past this share of the ceiling: what is left
# is for handing the trained state back.
DEADLINE_FRACTION = 0.95
# A step is expected to take this much longer than the slowest of the recent ones: a loaded
# worker's steps vary (another process wakes up, the allocator grows).
STEP_MARGIN = 1.5
RECENT_STEPS = 5
# The harness fails the part past this share of the ceiling (a custom train() that overran).
OVERRUN_FRACTION = 1.05


@dataclass
class TrainingRun:
    """What the default loop did: shown in the train stage's (public) logs."""

    steps: int = 0
    images: int = 0
    planned_images: int = 0
    seconds: float = 0.0
    stopped_by_ceiling: bool = False

    def describe(self, split: int) -> str:
        epochs = self.images / split if split else 0.0
        line = (
            f"[train] {self.steps} steps, {self.images} images ({epochs:.2f} epochs) "
            f"in {self.seconds:.1f} s"
        )
        if self.stopped_by_ceiling:
            line += (
                f"; the time ceiling stopped it before the budget's {self.planned_images} images "
                "(a slow worker: the model is less trained than on others)"
            )
        return line


def seed_everything(budget: dict[str, Any]) -> None:
    """Seed the generators a model's initialisation and dropout draw from (before building)."""
    torch.manual_seed(int(budget.get("seed", 0)))


def train(
    module: ModuleType,
    model: torch.nn.Module,
    train_path: Path,
    budget: dict[str, Any],
    device: torch.device,
) -> None:
    with np.load(train_path, allow_pickle=False) as data:
        images = torch.from_numpy(np.array(data["images"], dtype=np.float32))
        labels = torch.from_numpy(np.array(data["labels"], dtype=np.int64))
    model.train()
    started = time.monotonic()
    custom = getattr(module, "train", None)
    if callable(custom):
        result = custom(model, images, labels, dict(budget))
        if result is not None and result is not model:
            raise HarnessFailure(
                wire.INTERFACE,
                "train() must train the model in place and return None or the same model",
            )
    else:
        run = default_loop(model, images.to(device), labels.to(device), budget, started)
        print(run.describe(len(images)), flush=True)
    if time.monotonic() - started > float(budget["seconds"]) * OVERRUN_FRACTION:
        raise HarnessFailure(
            wire.BUDGET, f"training took longer than the budget of {budget['seconds']} s"
        )


def planned_images(budget: dict[str, Any], split: int) -> int:
    """The images the budget's work goes through: whole epochs, or ``images`` if fewer."""
    total = int(budget.get("epochs", 1)) * split
    cap = int(budget.get("images", 0) or 0)
    return min(total, cap) if cap > 0 else total


def make_optimizer(model: torch.nn.Module, budget: dict[str, Any]) -> torch.optim.Optimizer:
    lr = float(budget["lr"])
    if str(budget.get("optimizer", "sgd")) == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def default_loop(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    budget: dict[str, Any],
    started: float,
    clock: Callable[[], float] = time.monotonic,
) -> TrainingRun:
    """The budget's work, stopped early only where the next step would overshoot the ceiling."""
    optimizer = make_optimizer(model, budget)
    generator = torch.Generator().manual_seed(int(budget.get("seed", 0)))
    batch_size = int(budget["batch_size"])
    deadline = started + float(budget["seconds"]) * DEADLINE_FRACTION
    run = TrainingRun(planned_images=planned_images(budget, len(images)))
    recent: list[float] = []
    epochs = math.ceil(run.planned_images / len(images)) if len(images) else 0
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator).to(images.device)
        for start in range(0, len(images), batch_size):
            left = run.planned_images - run.images
            if left <= 0:
                break
            now = clock()
            expected = STEP_MARGIN * max(recent) if recent else 0.0
            if now + expected > deadline:
                run.stopped_by_ceiling = True
                run.seconds = now - started
                return run
            index = order[start : start + min(batch_size, left)]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images[index]), labels[index])
            loss.backward()
            optimizer.step()
            if images.device.type == "cuda":
                torch.cuda.synchronize(images.device)
            recent = (recent + [clock() - now])[-RECENT_STEPS:]
            run.steps += 1
            run.images += len(index)
    run.seconds = clock() - started
    return run
