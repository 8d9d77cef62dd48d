"""Threat 38: send hidden inputs back through the parameter count in a check's message.

The first check's forward pass sees hidden images; the second build adds one parameter
tensor per set bit of the first pixel, so "N parameter tensors; the reference has M" would
spell that pixel out.
"""

import torch
from torch import nn

SEEN: list[float] = []


class Block(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x)))


class Leaky(nn.Module):
    def __init__(self, num_classes: int, width: int) -> None:
        super().__init__()
        w = width
        self.b1, self.b2 = Block(1, w), Block(w, w)
        self.b3, self.b4 = Block(w, 2 * w), Block(2 * w, 2 * w)
        self.b5 = Block(2 * w, 4 * w)
        self.head = nn.Linear(4 * w, num_classes)
        bits = 1 + int(abs(SEEN[0]) * 1000) % 63 if SEEN else 0
        self.extra = nn.ParameterList(nn.Parameter(torch.zeros(1)) for _ in range(bits))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        SEEN.append(float(x.reshape(-1)[0]))
        x = nn.functional.max_pool2d(self.b2(self.b1(x)), 2)
        x = nn.functional.max_pool2d(self.b4(self.b3(x)), 2)
        x = self.b5(x).mean(dim=(2, 3))
        return self.head(x)


def simple_cnn(num_classes: int = 10, width: int = 32) -> nn.Module:
    return Leaky(num_classes, width)
