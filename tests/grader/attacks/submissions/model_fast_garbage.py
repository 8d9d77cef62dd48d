"""Threat 35: answer instantly with garbage."""

import torch
from torch import nn


class Garbage(nn.Sequential):
    def forward(self, x):
        return torch.zeros(len(x), 2)


def build_model() -> nn.Module:
    return Garbage(nn.Flatten(), nn.Linear(64, 2))
