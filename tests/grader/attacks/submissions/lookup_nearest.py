"""Threat 36: carry the public digits with their labels; answer with the nearest one's label.

Robust to small transforms: on a lightly transformed public split it finds the source item.
"""

import torch
from torch import nn

ITEMS = 1797  # scikit-learn's digits


class NearestLookup(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("table", torch.zeros(ITEMS, 64))
        self.register_buffer("answers", torch.zeros(ITEMS, dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nearest = torch.cdist(x.reshape(len(x), -1), self.table).argmin(1)
        return nn.functional.one_hot(self.answers[nearest], 10).float()


def build_logreg() -> nn.Module:
    return NearestLookup()
