"""Attack (issue 11 class 7): spend the import on work (here: burning CPU for 30 s).

The import is bounded by the bundle's import_seconds, apart from training."""

import time

from torch import nn

_end = time.monotonic() + 30.0
_x = 0
while time.monotonic() < _end:
    _x += 1


def build_model(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 64, num_classes))
