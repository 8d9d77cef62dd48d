"""Threat 38: read a hidden pixel back through the latency metrics.

Every query sleeps 20 ms plus up to 10 ms set by the fractional digits of the batch's first
pixel: a raw latency_p50_ms would carry that pixel to the report, digit by digit.
"""

import time

from torch import nn


class Sleepy(nn.Sequential):
    def forward(self, x):
        pixel = float(x.reshape(-1)[0])
        time.sleep(0.020 + 0.010 * ((abs(pixel) * 1000.0) % 1.0))
        return super().forward(x)


def build_model() -> nn.Module:
    return Sleepy(nn.Flatten(), nn.Linear(64, 2))
