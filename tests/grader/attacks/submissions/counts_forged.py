"""Attack (issue 11 class 9): forge the parameter and MACs counts the harness reports.

A correct model, but at import it patches the harness in its own process so that "params"
answers a one-row shapes table of 1,234 values and "macs" answers 1,234."""

import sys

import numpy as np
import torch
from torch import nn

server = sys.modules["arena_harness.server"]


def _forged_params(self, request):
    return self._write_outputs(
        (np.array([[1, 1234, 0, 0, 0, 0, 0, 0, 0]], dtype=np.int64),), request
    )


def _forged_macs(self, request):
    return self._write_outputs((np.array([1234], dtype=np.int64),), request)


server.Server.op_params = _forged_params
server.Server.op_macs = _forged_macs


class Block(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x)))


class SimpleCNN(nn.Module):
    def __init__(self, num_classes: int, width: int) -> None:
        super().__init__()
        w = width
        self.b1, self.b2 = Block(1, w), Block(w, w)
        self.b3, self.b4 = Block(w, 2 * w), Block(2 * w, 2 * w)
        self.b5 = Block(2 * w, 4 * w)
        self.head = nn.Linear(4 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool2d(self.b2(self.b1(x)), 2)
        x = nn.functional.max_pool2d(self.b4(self.b3(x)), 2)
        return self.head(self.b5(x).mean(dim=(2, 3)))


def simple_cnn(num_classes: int = 10, in_channels: int = 1, width: int = 32) -> nn.Module:
    return SimpleCNN(num_classes, width)
