"""Right `add`, wrong `scale`: scores 50."""

import torch


def add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a + b


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x + factor
