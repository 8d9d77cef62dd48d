"""Multiply-accumulates of one forward pass, counted by ``torch.utils.flop_counter``.

This runs in the sandbox, so the number is only a claim: the trusted side checks it for
plausibility against the parameter shapes it receives.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def count_macs(model: torch.nn.Module, example: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(example)
    # FlopCounterMode counts a multiply-add as two floating-point operations.
    return int(counter.get_total_flops() // 2)
