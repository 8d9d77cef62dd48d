"""Threat 18: the weights file is a pickle whose loading would run code (see the test)."""

from torch import nn


def build_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
