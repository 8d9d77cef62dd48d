"""Attack (issue 11 class 7): a "simple_cnn" train part answered by a one-parameter model.

It trains and answers something, but it is not the architecture the part names."""

import torch
from torch import nn


class Lookup(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The brightest pixel's diagonal position is the class in fx-train-ref's data.
        diagonal = torch.diagonal(x[:, 0], dim1=1, dim2=2)[:, 1 : 1 + self.num_classes]
        return diagonal * self.scale


def simple_cnn(num_classes: int = 10, in_channels: int = 1, width: int = 32) -> nn.Module:
    return Lookup(num_classes)
