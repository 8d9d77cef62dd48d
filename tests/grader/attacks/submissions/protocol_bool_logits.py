"""Threat 42: answer with boolean logits (a metric that negates them raised a TypeError)."""

from torch import nn


class Truthy(nn.Sequential):
    def forward(self, x):
        return super().forward(x) > 0


def build_model() -> nn.Module:
    return Truthy(nn.Flatten(), nn.Linear(64, 2))
