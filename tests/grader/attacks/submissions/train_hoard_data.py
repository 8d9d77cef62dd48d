"""Attack (issue 11 class 7): get more training samples than the budget.

At import it looks for the training split on every path it can read; in train() it takes
every batch, then asks for more (a second pass over the iterator, next() after the end). It
prints what it got; the test compares that with the budget."""

import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _is_split(path: str) -> bool:
    if os.path.basename(path).startswith("train"):
        return True
    try:
        with np.load(path, allow_pickle=False) as data:
            return "labels" in getattr(data, "files", ())
    except Exception:  # noqa: BLE001 - anything unreadable is not the split
        return False


def _find_splits() -> list[str]:
    """Every readable array file that looks like a training split (named train*, or holding
    labels), on every path the sandbox shows."""
    found = []
    for root in ("/arena", "/tmp", "/scratch", "/home", "/var/tmp", os.getcwd()):
        for folder, _, files in os.walk(root):
            paths = [os.path.join(folder, f) for f in files if f.endswith((".npz", ".npy"))]
            found += [path for path in paths if _is_split(path)]
    return found


FOUND_AT_IMPORT = _find_splits()


def build_model(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 64, num_classes))


def train(model: nn.Module, batches, budget: dict) -> None:
    hoard = [batch for batch in batches]
    again = [batch for batch in batches]  # a second pass: nothing more comes
    try:
        next(batches)
        extra = 1
    except StopIteration:
        extra = 0
    seen = sum(len(labels) for _, labels in hoard + again) + extra
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for images, labels in hoard[:4]:  # a few steps: the point is what it was given
        optimizer.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()
    print(f"HOARD seen={seen} found={len(FOUND_AT_IMPORT)}", flush=True)
