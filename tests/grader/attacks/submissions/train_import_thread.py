"""Attack (issue 11 class 7): train at import time, in a thread, outside the budget.

The thread keeps stepping an optimizer on whatever data it can find while the platform's
train call runs; the harness refuses to train beside a thread started at import."""

import threading
import time

import torch
from torch import nn

MODEL = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))


def _train_forever() -> None:
    optimizer = torch.optim.SGD(MODEL.parameters(), lr=0.01)
    while True:
        loss = MODEL(torch.randn(8, 1, 8, 8)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        time.sleep(0.01)


threading.Thread(target=_train_forever, daemon=True).start()


def build_model(num_classes: int, in_channels: int) -> nn.Module:
    return MODEL
