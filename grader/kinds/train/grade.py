"""``train`` parts: the platform trains the mentee's model in the sandbox, then scores it.

Stage "train" (its logs are shown: it sees no hidden data) gets the training split from the
trusted side batch by batch (``train_feed``: no file of it is mounted, the budget is counted
here) and returns the trained state as two plain tensors: every value in order and a shapes
table. A part that names a ``reference`` architecture is then checked, in the same stage, to
be that architecture (``trained_reference``). The trusted side writes the state as a
safetensors file; the hidden stage loads it into a fresh model from the same builder by
position, then the part is scored exactly like a ``model`` part, with the parameter and MACs
counts of the trusted side. No file written in the training sandbox is ever read back.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from grader.harness.arena_harness import wire
from grader.kinds.model.grade import hidden_stage, public_stage, read_shape_table
from grader.kinds.train import recalibration
from grader.kinds.train.feed import FeedRun, batch_bytes, batch_plan, feed_batches
from grader.kinds.train.trained_reference import (
    TrainedReference,
    build_trained_reference,
    outputs_match,
    shapes_differ,
    state_values,
)
from grader.protocol import ProtocolViolation
from grader.report import CheckResult
from grader.sandbox import Limits
from grader.scoring import metric_checks
from grader.stages.context import PartContext, PartResult, load_npz
from grader.stages.failures import StageFailure
from grader.stages.session import Session, StageOutcome, run_stage

MAX_STATE_VALUES = 200_000_000 // 4  # 200 MB of float32
MAX_STATE_TENSORS = 4096
# CPU seconds the train stage gets besides the budget's safety net: starting Python and torch,
# importing the submission, the architecture check and copying the state back.
STAGE_CPU_MARGIN_S = 60


def grade_train(ctx: PartContext) -> PartResult:
    # A GPU worker trains under the part's GPU budget and is scored by its GPU thresholds.
    ctx = replace(ctx, part=ctx.part.on_device(ctx.device))
    result = PartResult()
    result.logs.append(describe_budget(ctx))
    train_inputs = ctx.work / f"{ctx.part.name}-train"
    train_inputs.mkdir(parents=True)
    reference = (
        build_trained_reference(ctx, train_inputs / "reference.safetensors")
        if ctx.part.reference
        else None
    )
    trained = train_stage(ctx, result, train_inputs, reference)
    if trained is None:
        return result
    state, table, not_reference = trained
    if not_reference:
        result.fail_all(failed_checks(ctx), not_reference)
        return result
    eval_inputs = ctx.work / f"{ctx.part.name}-eval"
    eval_inputs.mkdir(parents=True)
    save_file(state, str(eval_inputs / "trained.safetensors"))
    trained_model = wire.Model(
        ctx.part.builder, builder_kwargs(ctx), wire.Weights("trained.safetensors", "order")
    )
    if public_stage(ctx, result, trained_model, inputs=eval_inputs):
        hidden_stage(ctx, result, trained_model, inputs=eval_inputs)
    trusted_counts(result, table, reference)
    # Next to params, MACs and throughput (the hidden stage's), the comparison's training
    # time, as the trusted clock saw the train request.
    if "train_s" in result.timings:
        result.metrics["train_s"] = round(result.timings["train_s"], 3)
    return result


def trusted_counts(
    result: PartResult, table: np.ndarray, reference: TrainedReference | None
) -> None:
    """Params and MACs of this side: the reference's, or the values of the trained state's
    shapes table (parameters and buffers); never the sandbox's claim."""
    if result.failure is not None:
        return  # a stage failed: the part was not scored
    if reference is not None:
        result.metrics["params"], result.metrics["macs"] = reference.params, reference.macs
        return
    result.metrics["params"] = state_values(table, MAX_STATE_VALUES)
    result.metrics.pop("macs", None)  # no trusted model to count them on


def failed_checks(ctx: PartContext) -> list[CheckResult]:
    """The part's checks, as ``metric_checks`` names them, each earning nothing."""
    return metric_checks(ctx.part.metric_scoring, {}, f"{ctx.part.name}/")


def describe_budget(ctx: PartContext) -> str:
    budget = ctx.part.budget
    work = f"{budget.images} images" if budget.images else f"{budget.epochs} epoch(s)"
    return (
        f"[train] budget on this {'GPU' if ctx.device == 'cuda' else 'CPU'} worker: {work} of "
        f"the training split, batch {budget.batch_size}, {budget.optimizer} at lr {budget.lr:g}, "
        f"seed {budget.seed}; safety net {budget.seconds:g} s of CPU time (the work, not the "
        "clock, sets how far the model trains)"
    )


def train_limits(ctx: PartContext) -> Limits:
    """The train stage's sandbox limits: CPU time is the safety net that matters (it does not
    grow when other processes share the worker), the bundle's wall clock stays the last one."""
    cpu = math.ceil(ctx.part.budget.seconds) + STAGE_CPU_MARGIN_S
    return replace(ctx.limits, cpu_seconds=cpu)


def safety_net_failure(ctx: PartContext, outcome: StageOutcome) -> StageFailure | None:
    """A train stage stopped by its CPU-time or wall-clock net, said as such: the part earns
    nothing, and the mentee reads which net and that the budget's work is what counts."""
    run, failure = outcome.result, outcome.failure
    if failure is None or run is None:
        return None
    # The wall net: the sandbox's watchdog fired, or the stage's deadline passed while a
    # request was pending (the trusted side then kills the tree itself).
    out_of_wall = run.timed_out or (
        failure.kind == "timeout" and outcome.duration_s >= ctx.limits.wall_seconds
    )
    if not (run.cpu_limited or out_of_wall):
        return None
    budget = ctx.part.budget
    work = f"{budget.images} images" if budget.images else f"{budget.epochs} epoch(s)"
    net = (
        f"{budget.seconds:g} s of CPU time (all its processes and threads together)"
        if run.cpu_limited
        else f"{ctx.limits.wall_seconds:g} s of wall-clock time"
    )
    return StageFailure(
        "failed",
        "timeout",
        f"train stage: training hit its safety net of {net} before it finished; the part is "
        f"not scored. The budget is an amount of work ({work} in batches of "
        f"{budget.batch_size}), the same on every worker, and the net is far above what the "
        "reference needs for it: make train() do less work per batch.",
    )


def builder_kwargs(ctx: PartContext) -> dict:
    return {
        "num_classes": ctx.part.num_classes,
        "in_channels": ctx.part.input_shape[0],
        **ctx.part.builder_kwargs,
    }


Trained = tuple[dict[str, np.ndarray], np.ndarray, str]


def train_stage(
    ctx: PartContext, result: PartResult, inputs: Path, reference: TrainedReference | None
) -> Trained | None:
    """The trained state, its shapes table and why it is not the reference ("" if it is)."""
    budget = asdict(ctx.part.budget)
    split = load_npz(ctx.hidden / "train.npz")
    plan = batch_plan(len(split["labels"]), budget)  # before the clock: it imports torch
    fed: list[FeedRun] = []
    trained_s = [0.0]
    recalibrate_images = int(budget.get("bn_recalibration_images", 0))
    recalibrated: list[str] = []  # its log line, once done

    def body(session: Session) -> Trained:
        load = wire.Load(ctx.bundle.entry, ctx.device, import_seconds=ctx.bundle.import_seconds)
        session.load(load, what="loading the submission")
        started = time.monotonic()
        # Each request may take as long as the stage's wall clock allows: a loaded worker's
        # steps are slow, and the CPU-time net (train_limits) stops a run that works too much.
        wall = float(ctx.limits.wall_seconds)
        first = session.train(
            wire.Train(ctx.part.builder, builder_kwargs(ctx), budget), timeout=wall
        )
        data = (split["images"], split["labels"])
        reply, run = feed_batches(session, first, data, plan, started, wall)
        trained_s[0] = time.monotonic() - started
        fed.append(run)
        if len(reply.tensors) != 2 or len(reply.tensors[0].shape) != 1:
            raise ProtocolViolation("a trained state is a vector and a shapes table")
        table = read_shape_table(session, reply, index=1)
        values = session.get(reply, 0, reply.tensors[0].shape)
        # Before the architecture check, which builds another model in the harness.
        if recalibration.wanted(recalibrate_images, reference, table):
            assert reference is not None  # wanted() says so; for mypy
            images = recalibration.recalibration_images(
                recalibrate_images, split["images"], plan, run.batches
            )
            if len(images):
                done = recalibration.recalibrate(
                    session, images, budget["batch_size"], values, table, reference, wall
                )
                values = done.values
                recalibrated.append(done.describe())
        state = unflatten(values, table)
        why = "" if reference is None else not_the_reference(session, ctx, table, reference)
        return state, table, why

    in_bytes = batch_bytes(budget, ctx.part.input_shape)
    if reference is not None:
        in_bytes = max(in_bytes, reference.images.nbytes + 4096)
    if recalibrate_images:
        image_bytes = recalibrate_images * int(np.prod(ctx.part.input_shape)) * 4
        in_bytes = max(in_bytes, image_bytes + 4096)
    stage = replace(ctx, limits=train_limits(ctx)).stage(
        "train",
        inputs=inputs,
        in_bytes=in_bytes,
        out_bytes=MAX_STATE_VALUES * 4 + MAX_STATE_TENSORS * 72 + 4096,
    )
    outcome = run_stage(stage, body)
    outcome.failure = safety_net_failure(ctx, outcome) or outcome.failure
    ok = result.absorb(outcome, "train")
    if fed:
        result.logs.append(fed[0].describe(len(split["labels"])))
    result.logs.extend(recalibrated)
    if ok:
        result.timings["train_s"] = trained_s[0]
        result.metrics["train_images"] = fed[0].images
    return outcome.value if ok else None


def not_the_reference(
    session: Session, ctx: PartContext, table: np.ndarray, reference: TrainedReference
) -> str:
    """Why the trained model is not the part's reference architecture, or "" if it is."""
    what = f"the trained model is not {reference.name}"
    if shapes_differ(table, reference):
        return f"{what}: its tensors do not have the reference's shapes"
    weights = wire.Weights("reference.safetensors", "order")
    model = wire.Model(ctx.part.builder, builder_kwargs(ctx), weights)
    session.load(wire.Load(ctx.bundle.entry, ctx.device, model=model), what="the architecture check")
    reply = session.infer(reference.images, what="the architecture check")
    if len(reply.tensors) != 1:
        return f"{what}: it must return one tensor"
    got = session.get(reply, 0)
    if not outputs_match(got, reference):
        return f"{what}: with the reference's weights it answers differently"
    return ""


def unflatten(values: np.ndarray, table: np.ndarray) -> dict[str, np.ndarray]:
    sizes = [math.prod(int(d) for d in row[1 : 1 + int(row[0])]) for row in table]
    if len(sizes) > MAX_STATE_TENSORS or sum(sizes) != values.size:
        raise ProtocolViolation("the trained state does not match its shapes table")
    state, offset = {}, 0
    for i, (row, size) in enumerate(zip(table, sizes)):
        shape = tuple(int(d) for d in row[1 : 1 + int(row[0])])
        chunk = values[offset : offset + size].astype(np.float32).reshape(shape)
        state[f"{i:05d}/t"] = np.ascontiguousarray(chunk).reshape(shape)  # 0-d stays 0-d
        offset += size
    return state
