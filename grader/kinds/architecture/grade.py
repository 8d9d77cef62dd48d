"""``architecture`` parts: the mentee's builders proved equal to ``reference_models``.

For each check the trusted side builds the reference with seeded random weights (and random
BatchNorm statistics, so a swapped buffer shows), writes its state as safetensors into the
stage inputs, and computes the reference outputs on hidden inputs itself. In the sandbox the
harness maps that state onto the mentee's model by each tensor's role in the computation
(``arena_harness/param_mapping.py``, checked on a public probe) and answers the same inputs. A
check passes when the parameter shapes and the outputs match.

The references depend on the bundle alone, so they are built once per bundle version
(``grader.reference_cache``: the states, the expected outputs and the parameter shapes, verified
on every read) and linked into each grading's stage inputs; only the states and their public
probes are ever in a sandbox's view, the expected outputs stay on this side.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader import reference_cache
from grader.bundle import Check
from grader.harness.arena_harness import wire
from grader.kinds.model.grade import read_shape_table
from grader.protocol import ChannelError, NonFinite, ShapeMismatch
from grader.report import CheckResult
from grader.stages.context import PartContext, PartResult, load_npz
from grader.stages.failures import StageFailure
from grader.stages.session import Session, run_stage
from grader.vocabulary import ARCHITECTURE_FAILURES

if TYPE_CHECKING:
    import torch

HIDDEN_BATCH = 4
# A cache entry's files: only the state is linked into a stage's inputs.
STATE_FILE = "reference.safetensors"
EXPECTED_FILE = "expected.npz"
SHAPES_FILE = "shapes.json"
CHECK_LEVEL_KINDS = ("exception", "interface", "weights", "shape", "nan_output")


def grade_architecture(ctx: PartContext) -> PartResult:
    result = PartResult()
    inputs_dir = ctx.work / f"{ctx.part.name}-reference"
    images = hidden_images(ctx)
    expected, shapes = load_references(ctx, images, inputs_dir)
    public = run_stage(
        ctx.stage("public", inputs=inputs_dir),
        lambda s: [public_check(s, ctx, c) for c in ctx.part.checks],
    )
    if not result.absorb(public, "public"):
        result.fail_all(
            [CheckResult(c.name, False, 0.0, c.points) for c in ctx.part.checks],
            "the public stage failed",
        )
        return result
    result.logs.extend(public.value or [])
    out_bytes = max(e.size * 8 for e in expected.values()) + (1 << 20)
    stage = ctx.stage(
        "hidden", inputs=inputs_dir, in_bytes=images.nbytes + 4096, out_bytes=out_bytes
    )
    outcome = run_stage(
        stage,
        lambda s: [
            check_one(s, ctx, c, images, expected[c.name], shapes[c.name]) for c in ctx.part.checks
        ],
    )
    if not result.absorb(outcome, "hidden"):
        result.fail_all(
            [CheckResult(c.name, False, 0.0, c.points) for c in ctx.part.checks],
            "the hidden stage failed",
        )
        return result
    result.checks.extend(outcome.value or [])
    return result


def hidden_images(ctx: PartContext) -> np.ndarray:
    path = ctx.hidden / "inputs.npz"
    if path.is_file():
        return load_npz(path)["images"][:HIDDEN_BATCH].astype(np.float32)
    rng = np.random.default_rng(ctx.bundle.data.seed)
    return rng.standard_normal((HIDDEN_BATCH, *ctx.part.input_shape)).astype(np.float32)


def load_references(
    ctx: PartContext, images: np.ndarray, inputs_dir: Path
) -> tuple[dict[str, np.ndarray], dict[str, list[tuple[int, ...]]]]:
    """Each check's expected outputs and parameter shapes, its state linked into
    ``inputs_dir`` (the stage inputs). Each is built on the first grading that needs it."""
    inputs_dir.mkdir(parents=True)
    inputs = reference_cache.array_digest(images)
    expected, shapes = {}, {}
    for check in ctx.part.checks:
        folder = reference_cache.cached(
            ctx.bundle.slug,
            check.name,
            reference_cache.entry_key(cache_what(ctx, check, inputs)),
            functools.partial(build_entry, ctx, check, images),
        )
        reference_cache.link_file(folder / STATE_FILE, inputs_dir / f"{check.name}.safetensors")
        with np.load(folder / EXPECTED_FILE, allow_pickle=False) as data:
            expected[check.name] = data["expected"]
        shapes[check.name] = [tuple(s) for s in json.loads((folder / SHAPES_FILE).read_text())]
    return expected, shapes


def cache_what(ctx: PartContext, check: Check, inputs: str) -> dict:
    """Everything a check's reference entry is a function of (points are not)."""
    return {
        "kind": "architecture",
        "reference": check.reference or check.function,
        "kwargs": reference_kwargs(ctx, check),
        "input_shape": list(ctx.part.input_shape),
        "tolerances": [check.rtol, check.atol],
        "seed": ctx.bundle.data.seed,
        "inputs": inputs,
    }


def build_entry(ctx: PartContext, check: Check, images: np.ndarray, out: Path) -> None:
    """A check's cache entry: the state the sandbox reads (with the traced graph and the
    public probe) and, for this side only, the outputs on the hidden inputs and the shapes."""
    model = build_reference(ctx, check, out / STATE_FILE)
    np.savez(out / EXPECTED_FILE, expected=reference_output(model, images))
    (out / SHAPES_FILE).write_text(json.dumps([list(p.shape) for p in model.parameters()]))


def reference_kwargs(ctx: PartContext, check: Check) -> dict:
    return {"num_classes": ctx.part.num_classes, **check.kwargs}


def build_reference(ctx: PartContext, check: Check, path: Path) -> torch.nn.Module:
    # torch and the reference models are imported here: only architecture parts need them
    # on the trusted side, and the command line starts faster without them.
    import torch

    import reference_models
    from reference_models.equivalence import save_reference_state, sensitive_batchnorm_statistics

    torch.manual_seed(ctx.bundle.data.seed)
    channels, size = ctx.part.input_shape[0], ctx.part.input_shape[1]
    model = reference_models.build(
        check.reference or check.function,
        in_channels=channels,
        input_size=size,
        **reference_kwargs(ctx, check),
    )
    # Statistics that make batch norm's eps matter (1e-5 for 1e-3 must fail), and a public
    # probe the sandbox checks its mapping of the weights by role on (param_mapping.py).
    sensitive_batchnorm_statistics(model)
    save_reference_state(model.eval(), path, probe_input(ctx), rtol=check.rtol, atol=check.atol)
    return model


def probe_input(ctx: PartContext) -> torch.Tensor:
    """A public input (not a hidden one: its own seed) for the sandbox's mapping probe."""
    import torch

    generator = torch.Generator().manual_seed(ctx.bundle.data.seed + 1)
    return torch.randn((2, *ctx.part.input_shape), generator=generator)


def reference_output(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(images)).numpy()


def load_request(ctx: PartContext, check: Check) -> wire.Load:
    model = wire.Model(
        check.function,
        # The part's builder_kwargs go to the mentee's builder only (e.g. in_channels and
        # input_size, which the reference takes from input_shape).
        {**reference_kwargs(ctx, check), **ctx.part.builder_kwargs},
        wire.Weights(f"{check.name}.safetensors", "role"),
    )
    return wire.Load(ctx.bundle.entry, ctx.device, model=model)


def public_check(session: Session, ctx: PartContext, check: Check) -> str:
    """Whether the reference weights fit, in words the mentee can act on (nothing is hidden
    yet in this stage: the weights are seeded noise, no hidden input has been sent)."""
    try:
        session.load(load_request(ctx, check), what=check.function)
    except StageFailure as failure:
        if failure.kind not in CHECK_LEVEL_KINDS:
            raise
        return f"[public] {check.name}: {failure.message}"
    return f"[public] {check.name}: the reference weights fit {check.function}()"


def check_one(
    session: Session,
    ctx: PartContext,
    check: Check,
    images: np.ndarray,
    expected: np.ndarray,
    ref_shapes: list[tuple[int, ...]],
) -> CheckResult:
    def verdict(passed: bool, message: str) -> CheckResult:
        return CheckResult(
            check.name, passed, check.points if passed else 0.0, check.points, message
        )

    try:
        session.load(load_request(ctx, check), what=check.name)
        table = read_shape_table(session, session.params(what=check.name))
        got_shapes = [tuple(int(d) for d in row[1 : 1 + int(row[0])]) for row in table]
        # As multisets: a correct model may register its tensors in another order.
        if sorted(got_shapes) != sorted(ref_shapes):
            return verdict(
                False,
                f"{len(got_shapes)} parameter tensors; the reference has "
                f"{len(ref_shapes)} with other shapes",
            )
        reply = session.infer(images, what=check.name)
        if len(reply.tensors) != 1:
            return verdict(False, "the model must return one tensor")
        got = session.get(reply, 0, expected.shape)
    except ShapeMismatch as exc:
        return verdict(False, f"output shape differs from the reference's {list(exc.want)}")
    except NonFinite:
        return verdict(False, "the output holds NaN or infinity")
    except StageFailure as failure:
        if failure.kind not in CHECK_LEVEL_KINDS:
            raise
        # The harness's own words could carry hidden data: the kind picks a fixed sentence.
        return verdict(False, ARCHITECTURE_FAILURES[failure.kind])
    if not np.allclose(got, expected, rtol=check.rtol, atol=check.atol):
        worst = float(np.max(np.abs(got.astype(np.float64) - expected)))
        return verdict(False, f"outputs differ from the reference by up to {worst:.3g}")
    return verdict(True, f"{len(ref_shapes)} parameter tensors and the outputs match the reference")


__all__ = ["ChannelError", "grade_architecture"]
