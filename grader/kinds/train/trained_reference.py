"""What a ``train`` part's ``reference`` says the trained model must be, computed on this side.

A train part that names a ``reference_models`` architecture (``reference = "vgg16"``) is
checked like an architecture part, on the trained state: the state's shapes table (parsed
here) must be the reference's, and the mentee's builder with the reference's seeded weights
loaded must answer seeded inputs as the reference does. Its parameter and multiply-accumulate
counts then come from the reference rebuilt here, never from the sandbox (threat 41). The
reference is rebuilt once per bundle version, then read from ``grader.reference_cache``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import reference_cache
from grader.stages.context import PartContext

CHECK_BATCH = 4
# A cache entry's files (grader.reference_cache): only the state is linked into a stage.
STATE_FILE = "reference.safetensors"
ARRAYS_FILE = "check.npz"
META_FILE = "reference.json"
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
    # Positions in ``shapes`` of the batch-norm running statistics (running_mean, running_var,
    # num_batches_tracked): the only tensors batch-norm recalibration may change.
    statistics: tuple[int, ...] = ()


def build_trained_reference(ctx: PartContext, weights_path: Path) -> TrainedReference:
    """The part's reference with seeded weights, its state linked at ``weights_path``: built
    once per bundle version and kept in ``grader.reference_cache`` (verified on every read)."""
    part = ctx.part
    what = {
        "kind": "trained_reference",
        "reference": part.reference,
        "num_classes": part.num_classes,
        "input_shape": list(part.input_shape),
        "kwargs": reference_kwargs(ctx),
        "seed": ctx.bundle.data.seed,
        "check": [CHECK_BATCH, RTOL, ATOL],
    }
    folder = reference_cache.cached(
        ctx.bundle.slug,
        f"{part.name}-reference",
        reference_cache.entry_key(what),
        lambda out: write_trained_reference(ctx, out),
    )
    reference_cache.link_file(folder / STATE_FILE, weights_path)
    meta = json.loads((folder / META_FILE).read_text())
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as arrays:
        images, expected = arrays["images"], arrays["expected"]
    return TrainedReference(
        name=meta["name"],
        shapes=[tuple(shape) for shape in meta["shapes"]],
        params=int(meta["params"]),
        macs=int(meta["macs"]),
        images=images,
        expected=expected,
        statistics=tuple(int(i) for i in meta.get("statistics", ())),
    )


def reference_kwargs(ctx: PartContext) -> dict[str, Any]:
    return {k: v for k, v in ctx.part.builder_kwargs.items() if k not in SHAPE_KEYS}


def write_trained_reference(ctx: PartContext, out: Path) -> None:
    """Rebuild the part's reference with seeded weights: its state, the check's inputs and
    outputs, its shapes and counts, into the cache entry ``out``."""
    import torch

    from reference_models import build
    from reference_models.equivalence import ordered_state, save_reference_state

    part = ctx.part
    torch.manual_seed(ctx.bundle.data.seed)
    model = build(
        part.reference,
        num_classes=part.num_classes,
        in_channels=part.input_shape[0],
        input_size=part.input_shape[1],
        **reference_kwargs(ctx),
    )
    randomize_batchnorm_statistics(model)
    model.eval()
    save_reference_state(model, out / STATE_FILE)
    rng = np.random.default_rng(ctx.bundle.data.seed)
    images = rng.standard_normal((CHECK_BATCH, *part.input_shape)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).numpy()
    np.savez(out / ARRAYS_FILE, images=images, expected=expected)
    meta = {
        "name": part.reference,
        "shapes": [list(t.shape) for t in ordered_state(model).values()],
        "params": sum(p.numel() for p in model.parameters()),
        "macs": count_macs(model, (1, *part.input_shape)),
        "statistics": statistics_positions(model),
    }
    (out / META_FILE).write_text(json.dumps(meta))


def statistics_positions(model: Any) -> list[int]:
    """Positions, in the state dict's order, of every batch-norm layer's running statistics."""
    import torch

    from reference_models.equivalence import ordered_state

    names = set()
    for prefix, module in model.named_modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            dot = f"{prefix}." if prefix else ""
            names |= {f"{dot}running_mean", f"{dot}running_var", f"{dot}num_batches_tracked"}
    return [i for i, name in enumerate(ordered_state(model)) if name in names]


def randomize_batchnorm_statistics(model: Any) -> None:
    """Random running statistics (from torch's seeded generator), so a swapped buffer shows."""
    import torch

    with torch.no_grad():
        for module in model.modules():
            if (
                isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
                and module.track_running_stats
                and module.running_mean is not None
                and module.running_var is not None
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
