"""The reference's simple CNN written again (fx-arch's), trained by the platform's loop."""

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x)))


class Mine(nn.Module):
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
        x = self.b5(x).mean(dim=(2, 3))
        return self.head(x)


def simple_cnn(num_classes: int = 10, in_channels: int = 1, width: int = 32) -> nn.Module:
    return Mine(num_classes, width)
