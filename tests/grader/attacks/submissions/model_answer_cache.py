"""Threat 32: cache answers by input bytes; slow on a miss, instant on a hit."""

import hashlib
import time

from torch import nn

CACHE = {}


class Caching(nn.Sequential):
    def forward(self, x):
        key = hashlib.sha1(x.numpy().tobytes()).hexdigest()
        if key not in CACHE:
            time.sleep(0.03)
            CACHE[key] = super().forward(x).clone()
        return CACHE[key]


def build_model() -> nn.Module:
    return Caching(nn.Flatten(), nn.Linear(64, 2))
