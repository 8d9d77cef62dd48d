"""Threat 36: carry the public digits with their labels; answer by exact (rounded) pixels.

Against a verbatim public split this scores 1.0 at any speed. The weights file holds the table.
"""

import torch
from torch import nn

ITEMS = 1797  # scikit-learn's digits


class ExactLookup(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("table", torch.zeros(ITEMS, 64))
        self.register_buffer("answers", torch.zeros(ITEMS, dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = torch.round(x.reshape(len(x), -1))
        match = (flat[:, None, :] == self.table[None]).all(-1)
        logits = torch.zeros(len(x), 10)
        rows = torch.nonzero(match.any(1)).flatten()
        logits[rows, self.answers[match[rows].float().argmax(1)]] = 1.0
        return logits  # a miss answers all zeros: class 0


def build_logreg() -> nn.Module:
    return ExactLookup()
