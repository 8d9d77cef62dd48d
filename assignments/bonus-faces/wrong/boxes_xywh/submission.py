"""KNOWN WRONG: boxes as x, y, width, height instead of x0, y0, x1, y1.

Bonus reference solution: a small CNN from scratch that says whether a 64x64 canvas holds a
face and where.

Outputs: ``logits [N, 2]`` (0 = no face, 1 = face) and ``boxes [N, 4]`` as ``x0, y0, x1, y1``
in canvas pixels. 100 faces are too few to pretrain on, but faces are a narrow class and
small enough to be found by four convolution stages and a head that reads an 8x8 map.
"""

from __future__ import annotations

import torch
from torch import nn

CANVAS = 64


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class FaceFinder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            conv_block(1, 8), nn.MaxPool2d(2),      # 32x32
            conv_block(8, 16), nn.MaxPool2d(2),     # 16x16
            conv_block(16, 32), nn.MaxPool2d(2),    # 8x8
            conv_block(32, 32),
        )
        self.shared = nn.Sequential(nn.Conv2d(32, 16, 1), nn.ReLU(inplace=True), nn.Flatten(),
                                    nn.Linear(16 * 8 * 8, 128), nn.ReLU(inplace=True))
        self.classify = nn.Linear(128, 2)
        self.locate = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Per-image standardisation: backgrounds differ in brightness far more than faces do.
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True) + 1e-3
        hidden = self.shared(self.features((x - mean) / std))
        cx, cy, w, h = torch.sigmoid(self.locate(hidden)).unbind(1)
        boxes = torch.stack([cx - w / 2, cy - h / 2, w, h], 1) * CANVAS
        return self.classify(hidden), boxes


def build_model() -> nn.Module:
    return FaceFinder()
