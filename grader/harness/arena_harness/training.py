"""Training inside the sandbox under the part's budget (``train`` parts).

The mentee may define ``train(model, images, labels, budget)``; otherwise a plain SGD loop
runs. Either way the wall-clock budget is enforced from outside too (the trusted side's deadline).
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from . import wire
from .loading import HarnessFailure


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
        default_loop(model, images.to(device), labels.to(device), budget, started)
    if time.monotonic() - started > float(budget["seconds"]) * 1.05:
        raise HarnessFailure(
            wire.BUDGET, f"training took longer than the budget of {budget['seconds']} s"
        )


def default_loop(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    budget: dict[str, Any],
    started: float,
) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=float(budget["lr"]), momentum=0.9)
    generator = torch.Generator().manual_seed(0)
    batch_size = int(budget["batch_size"])
    deadline = started + float(budget["seconds"]) * 0.95
    for _ in range(int(budget["epochs"])):
        order = torch.randperm(len(images), generator=generator).to(images.device)
        for start in range(0, len(images), batch_size):
            if time.monotonic() > deadline:
                return
            index = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images[index]), labels[index])
            loss.backward()
            optimizer.step()
