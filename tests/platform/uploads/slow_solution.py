"""The reference solution, slowed down at import so a test can kill the worker mid-run."""

import time

import torch

time.sleep(8)


def add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a + b


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x * factor
