"""Threat 42: a trained-state shapes table whose sizes overflow int64.

One extra row of 2**32 x 2**32 values: its int64 product wraps to 0, so the table "matches"
the state vector and the trusted side once crashed reshaping it (a traceback, no report).
"""

import numpy as np
from arena_harness import server

_table = server._shape_table


def _overflowing(shapes):
    table = _table(shapes)
    row = np.zeros((1, table.shape[1]), dtype=np.int64)
    row[0, :3] = (2, 1 << 32, 1 << 32)
    return np.concatenate([table, row])


server._shape_table = _overflowing

from torch import nn


def build_model(num_classes: int, in_channels: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 64, num_classes))
