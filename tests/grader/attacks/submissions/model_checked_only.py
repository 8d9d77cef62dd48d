"""Threat 34: behave well for the first queries (warm-up, a quick check), then fast garbage."""

import torch
from torch import nn


class TwoFaced(nn.Sequential):
    calls = 0

    def forward(self, x):
        TwoFaced.calls += 1
        if TwoFaced.calls <= 8:
            return super().forward(x)
        return torch.zeros(len(x), 2)


def build_model() -> nn.Module:
    return TwoFaced(nn.Flatten(), nn.Linear(64, 2))
