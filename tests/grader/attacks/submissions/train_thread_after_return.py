"""Attack (issue 11 class 7): keep training after train() returned, in a thread.

The harness copies the state the moment train() returns and fails a part whose train() left
a Python thread running."""

import threading

import torch
import torch.nn.functional as F
from torch import nn


def build_model(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 64, num_classes))


def train(model: nn.Module, batches, budget: dict) -> None:
    kept = list(batches)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

    def more_epochs() -> None:
        for _ in range(1000):
            for images, labels in kept:
                optimizer.zero_grad()
                F.cross_entropy(model(images), labels).backward()
                optimizer.step()

    threading.Thread(target=more_epochs, daemon=True).start()
