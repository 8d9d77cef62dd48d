"""Threats 32 and 36: cache answers keyed on rounded pixels, so that re-sent inputs with a tiny
perturbation still hit; slow on a miss, instant on a hit."""

import time

import numpy as np
from torch import nn

CACHE = {}


class RoundedCache(nn.Sequential):
    def forward(self, x):
        key = np.round(x.numpy(), 1).tobytes()
        if key not in CACHE:
            time.sleep(0.03)
            CACHE[key] = super().forward(x).clone()
        return CACHE[key]


def build_model() -> nn.Module:
    return RoundedCache(nn.Flatten(), nn.Linear(64, 2))
