"""Threat 30: patch every clock in the process, then run slowly (20 ms a query)."""

import time

from torch import nn

_sleep = time.sleep
for name in ("perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns"):
    setattr(time, name, lambda: 0)


class Slow(nn.Sequential):
    def forward(self, x):
        _sleep(0.02)
        return super().forward(x)


def build_model() -> nn.Module:
    return Slow(nn.Flatten(), nn.Linear(64, 2))
