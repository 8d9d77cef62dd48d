"""What a ``train`` part's ``reference`` says the trained model must be, computed on this side.

A train part that names a ``reference_models`` architecture (``reference = "vgg16"``) is
checked like an architecture part, on the trained state: the state's shapes table (parsed
here) must be the reference's, and the mentee's builder with the reference's seeded weights
loaded must answer seeded inputs as the reference does. Its parameter and multiply-accumulate
counts then come from the reference rebuilt here, never from the sandbox (threat 41).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.stages.context import PartContext

CHECK_BATCH = 4
RTOL, ATOL = 1e-3, 1e-4
# Keys the reference takes from input_shape and num_classes, not from builder_kwargs.
SHAPE_KEYS = ("num_classes", "in_channels", "input_size")


@dataclass(frozen=True)
class TrainedReference:
    name: str
    shapes: list[tuple[int, ...]]  # the state dict's, parameters and buffers, in order
    params: int
    macs: int
    images: np.ndarray  # seeded inputs of the equivalence check
    expected: np.ndarray  # the reference's outputs on them


def build_trained_reference(ctx: PartContext, weights_path: Path) -> TrainedReference:
    """Rebuild the part's reference with seeded weights, write them to ``weights_path``."""
    import torch

    from reference_models import build
    from reference_models.equivalence import ordered_state, save_reference_state

    part = ctx.part
    torch.manual_seed(ctx.bundle.data.seed)
    kwargs = {k: v for k, v in part.builder_kwargs.items() if k not in SHAPE_KEYS}
    model = build(
        part.reference,
        num_classes=part.num_classes,
        in_channels=part.input_shape[0],
        input_size=part.input_shape[1],
        **kwargs,
    )
    randomize_batchnorm_statistics(model)
    model.eval()
    save_reference_state(model, weights_path)
    rng = np.random.default_rng(ctx.bundle.data.seed)
    images = rng.standard_normal((CHECK_BATCH, *part.input_shape)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).numpy()
    return TrainedReference(
        name=part.reference,
        shapes=[tuple(t.shape) for t in ordered_state(model).values()],
        params=sum(p.numel() for p in model.parameters()),
        macs=count_macs(model, (1, *part.input_shape)),
        images=images,
        expected=expected,
    )


def randomize_batchnorm_statistics(model: Any) -> None:
    """Random running statistics (from torch's seeded generator), so a swapped buffer shows."""
    import torch

    with torch.no_grad():
        for module in model.modules():
            if (
                isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
                and module.track_running_stats
            ):
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)


def count_macs(model: object, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass of a trusted model (FlopCounterMode counts
    a multiply-add as two floating-point operations)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(input_shape))  # type: ignore[operator]
    return int(counter.get_total_flops() // 2)


def table_shapes(table: np.ndarray) -> list[tuple[int, ...]]:
    return [tuple(int(d) for d in row[1 : 1 + int(row[0])]) for row in table]


def shapes_differ(table: np.ndarray, reference: TrainedReference) -> bool:
    return table_shapes(table) != reference.shapes


def outputs_match(got: np.ndarray, reference: TrainedReference) -> bool:
    return got.shape == reference.expected.shape and bool(
        np.allclose(got, reference.expected, rtol=RTOL, atol=ATOL)
    )


def state_values(table: np.ndarray, limit: int) -> int:
    """The number of values a shapes table describes, in exact integers; ``limit + 1`` as
    soon as it passes ``limit`` (a table of huge sizes must not overflow int64)."""
    total = 0
    for shape in table_shapes(table):
        total += math.prod(shape)
        if total > limit:
            return limit + 1
    return total
