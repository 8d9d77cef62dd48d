"""Multiply-accumulates of one forward pass, counted by ``torch.utils.flop_counter``.

This runs in the sandbox, so the number is only a claim: the trusted side checks it for
plausibility against the parameter shapes it receives.
"""

from __future__ import annotations

import torch


def count_macs(model: torch.nn.Module, example: torch.Tensor) -> int:
    # Imported on first use: it pulls in triton (about a second of every sandbox's start-up,
    # and most stages never count). Mentee code could patch it either way: the count is a claim.
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(example)
    # FlopCounterMode counts a multiply-add as two floating-point operations.
    return int(counter.get_total_flops() // 2)
