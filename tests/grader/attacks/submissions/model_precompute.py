"""Threat 31: look for the hidden inputs before the first query (shared memory, stage inputs)."""

import os

from torch import nn

with open("/arena/ipc/arena.shm", "rb") as handle:
    if any(handle.read()):
        print("ESCAPED: shared memory held data before the first query")
if os.path.isdir("/arena/inputs") and os.listdir("/arena/inputs"):
    print(f"ESCAPED: stage inputs {os.listdir('/arena/inputs')}")


def build_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
