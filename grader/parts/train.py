"""``train`` parts: the platform trains the mentee's model in the sandbox, then scores it.

Stage "train" (its logs are shown: it sees only the training split) returns the trained
state as two plain tensors: every value in order and a shapes table. The trusted side checks
them and writes a safetensors file; the hidden stage loads it into a fresh model from the same
builder by position, then the part is scored exactly like a ``model`` part. No file written
in the training sandbox is ever read back.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from grader.parts.common import PartContext, PartResult
from grader.parts.model import hidden_stage, public_stage, read_shape_table
from grader.parts.stage import Session, run_stage
from grader.protocol import ProtocolViolation

MAX_STATE_VALUES = 200_000_000 // 4  # 200 MB of float32
MAX_STATE_TENSORS = 4096


def grade_train(ctx: PartContext) -> PartResult:
    # A GPU worker trains under the part's GPU budget and is scored by its GPU thresholds.
    ctx = replace(ctx, part=ctx.part.on_device(ctx.device))
    result = PartResult()
    result.logs.append(describe_budget(ctx))
    train_inputs = ctx.work / f"{ctx.part.name}-train"
    train_inputs.mkdir(parents=True)
    _link(ctx.hidden / "train.npz", train_inputs / "train.npz")
    state = train_stage(ctx, result, train_inputs)
    if state is None:
        return result
    eval_inputs = ctx.work / f"{ctx.part.name}-eval"
    eval_inputs.mkdir(parents=True)
    save_file(state, str(eval_inputs / "trained.safetensors"))
    load = {
        "builder": ctx.part.builder,
        "builder_kwargs": builder_kwargs(ctx),
        "weights": "trained.safetensors",
        "weights_mode": "order",
    }
    if public_stage(ctx, result, load, inputs=eval_inputs):
        hidden_stage(ctx, result, load, inputs=eval_inputs)
    # Next to params, MACs and throughput (the hidden stage's), the comparison's training
    # time, as the trusted clock saw the train request.
    if "train_s" in result.timings:
        result.metrics["train_s"] = round(result.timings["train_s"], 3)
    return result


def describe_budget(ctx: PartContext) -> str:
    budget = ctx.part.budget
    work = f"{budget.images} images" if budget.images else f"{budget.epochs} epoch(s)"
    return (
        f"[train] budget on this {'GPU' if ctx.device == 'cuda' else 'CPU'} worker: {work} of "
        f"the training split, batch {budget.batch_size}, {budget.optimizer} at lr {budget.lr:g}, "
        f"seed {budget.seed}; at most {budget.seconds:g} s"
    )


def builder_kwargs(ctx: PartContext) -> dict:
    return {
        "num_classes": ctx.part.num_classes,
        "in_channels": ctx.part.input_shape[0],
        **ctx.part.builder_kwargs,
    }


def train_stage(ctx: PartContext, result: PartResult, inputs: Path) -> dict[str, np.ndarray] | None:
    budget = asdict(ctx.part.budget)

    trained_s = [0.0]

    def body(session: Session) -> dict[str, np.ndarray]:
        session.request(
            {"op": "load", "entry": ctx.bundle.entry, "device": ctx.device},
            what="loading the submission",
            timeout=120.0,
        )
        started = time.monotonic()
        reply = session.request(
            {
                "op": "train",
                "builder": ctx.part.builder,
                "builder_kwargs": builder_kwargs(ctx),
                "train_file": "train.npz",
                "budget": budget,
            },
            what="training",
            timeout=budget["seconds"] * 1.1 + 30.0,
        )
        trained_s[0] = time.monotonic() - started
        if len(reply.tensors) != 2 or len(reply.tensors[0].shape) != 1:
            raise ProtocolViolation("a trained state is a vector and a shapes table")
        values = session.get(reply, 0, reply.tensors[0].shape)
        table = read_shape_table(session, reply, index=1)
        return unflatten(values, table)

    stage = ctx.stage(
        "train",
        inputs=inputs,
        in_bytes=4096,
        out_bytes=MAX_STATE_VALUES * 4 + MAX_STATE_TENSORS * 72 + 4096,
    )
    outcome = run_stage(stage, body)
    ok = result.absorb(outcome, "train")
    if ok:
        result.timings["train_s"] = trained_s[0]
    return outcome.value if ok else None


def unflatten(values: np.ndarray, table: np.ndarray) -> dict[str, np.ndarray]:
    sizes = [int(np.prod(row[1 : 1 + int(row[0])], dtype=np.int64)) for row in table]
    if len(sizes) > MAX_STATE_TENSORS or sum(sizes) != values.size:
        raise ProtocolViolation("the trained state does not match its shapes table")
    state, offset = {}, 0
    for i, (row, size) in enumerate(zip(table, sizes)):
        shape = tuple(int(d) for d in row[1 : 1 + int(row[0])])
        chunk = values[offset : offset + size].astype(np.float32).reshape(shape)
        state[f"{i:05d}/t"] = np.ascontiguousarray(chunk).reshape(shape)  # 0-d stays 0-d
        offset += size
    return state


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        target.write_bytes(source.read_bytes())
