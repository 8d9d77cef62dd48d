"""``model`` parts: the mentee's builder and weights, scored on hidden inputs by the trusted timer.

Parameter shapes and the MACs claim are asked for before any hidden input enters the sandbox,
so those numbers cannot carry hidden data into the report (threat 20).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader import metrics as m
from grader.harness.arena_harness import wire
from grader.kinds.model.counts import model_counts
from grader.loadgen import LoadGenerator, LoadgenResult, input_bytes, output_bytes
from grader.memorisation import FLAG as MEMORISATION_FLAG
from grader.memorisation import AuditResult, audit_data, run_audit
from grader.protocol import ProtocolViolation, Reply, check_shape_table
from grader.scoring import metric_checks
from grader.stages.context import PartContext, PartResult, load_npz
from grader.stages.session import Session, run_stage

PUBLIC_LIMIT = 256


def grade_model(ctx: PartContext) -> PartResult:
    # The upload's weights by name; not strict: it may leave out the pretrained tensors.
    weights = wire.Weights(ctx.part.weights, "name", strict=ctx.part.weights_strict)
    model = wire.Model(ctx.part.builder, ctx.part.builder_kwargs, weights)
    result = PartResult()
    if public_stage(ctx, result, model):
        hidden_stage(ctx, result, model, inputs=None)
    return result


def load_request(ctx: PartContext, model: wire.Model) -> wire.Load:
    return wire.Load(ctx.bundle.entry, ctx.device, model=model)


def public_stage(
    ctx: PartContext, result: PartResult, model: wire.Model, inputs: Path | None = None
) -> bool:
    """Run the few public examples: the mentee sees shapes, accuracy and their own prints."""
    if not (ctx.hidden / "public.npz").is_file():
        return True
    images = load_npz(ctx.hidden / "public.npz")["images"][:PUBLIC_LIMIT].astype(np.float32)
    labels = load_npz(ctx.hidden / "public_labels.npz")["labels"][:PUBLIC_LIMIT]

    def body(session: Session) -> list[str]:
        session.load(load_request(ctx, model), what="loading the model")
        reply = session.infer(images, what="public examples")
        outputs = [
            session.get(reply, i, (len(images),) + o.shape) for i, o in enumerate(ctx.part.outputs)
        ]
        right = int(np.sum(np.argmax(outputs[0], axis=1) == labels))
        shapes = [list(o.shape) for o in outputs]
        line = f"[public] {right}/{len(labels)} public examples classified right; shapes {shapes}"
        return [line]

    stage = ctx.stage(
        "public",
        inputs=inputs,
        in_bytes=images.nbytes + 4096,
        out_bytes=sum(len(images) * int(np.prod(o.shape)) * 8 + 64 for o in ctx.part.outputs)
        + 4096,
    )
    outcome = run_stage(stage, body)
    ok = result.absorb(outcome, "public")
    result.logs.extend(outcome.value or [])
    return ok


def hidden_stage(
    ctx: PartContext, result: PartResult, model: wire.Model, inputs: Path | None
) -> None:
    images = load_npz(ctx.hidden / "inputs.npz")["images"]
    labels = load_npz(ctx.hidden / "labels.npz")
    part = ctx.part
    originals = audit_data(ctx.hidden)  # trusted only: public originals of secret-derived rows
    audits: list[AuditResult] = []

    def body(session: Session) -> tuple[np.ndarray, int, LoadgenResult]:
        session.load(load_request(ctx, model), what="loading the model")
        shapes = read_shape_table(session, session.params(what="parameters"))
        claim = session.get(session.macs((1, *part.input_shape), what="MACs"), 0, (1,))
        timed = LoadGenerator(session, part.outputs, part.timing).run(images)
        if originals is not None:  # untimed, after the clock: the memorisation audit
            audits.append(run_audit(timed_querier(session, part), images, labels["labels"],
                                    originals, part.timing.batch_size))
        return shapes, int(claim[0]), timed

    max_params_rows = 1 << 16
    stage = ctx.stage(
        "hidden",
        inputs=inputs,
        in_bytes=input_bytes(part.timing, part.input_shape),
        out_bytes=max(output_bytes(part.timing, part.outputs), max_params_rows * 9 * 8),
    )
    outcome = run_stage(stage, body)
    if not result.absorb(outcome, "hidden"):
        return
    assert outcome.value is not None  # absorb() is true only for a stage that returned
    _shapes, _claim, timed = outcome.value  # the sandbox's counts are only claims: unused
    result.metrics.update(score_predictions(ctx, timed, labels))
    result.metrics.update(timed.metrics())
    for audit in audits:
        record_audit(result, audit)
    # Counted here from the upload's weights file, never the harness's claim (threat 41);
    # train parts put the counts of their reference in (grader.kinds.train.grade).
    result.metrics.update(model_counts(ctx.submission, part.weights, part.weights_strict))
    why = (
        "repeated inputs were answered much faster than new ones: answers look cached, "
        "so speed earns nothing"
    )
    checks = metric_checks(
        part.metric_scoring,
        result.metrics,
        f"{part.name}/",
        speed_valid=not timed.caching_suspected,
        why=why,
    )
    result.checks.extend(checks)
    private_metrics = {
        k.removeprefix("private_"): v for k, v in result.metrics.items() if k.startswith("private_")
    }
    if part.metric_scoring.metric in private_metrics:
        private_checks = metric_checks(
            part.metric_scoring,
            {**result.metrics, **private_metrics},
            f"{part.name}/",
            speed_valid=not timed.caching_suspected,
            why=why,
        )
        result.private_points_delta = sum(c.points for c in private_checks) - sum(
            c.points for c in checks
        )


def timed_querier(session: Session, part: Any) -> LoadGenerator:
    """A load generator used only for its ``query`` (shared memory in, answers out)."""
    return LoadGenerator(session, part.outputs, part.timing)


def record_audit(result: PartResult, audit: AuditResult) -> None:
    """The audit's figures for mentors; the flag that holds the rank when the gap is too wide."""
    splits = ("accuracy", "private_accuracy")  # the timed queries' own, on either split
    hidden_accuracy = max(float(result.metrics.get(k, 0.0)) for k in splits)
    audit = replace(audit, accuracy_hidden=hidden_accuracy)
    result.metrics["memorisation_gap"] = round(audit.gap, 4)
    result.hidden_logs.append(audit.log_line())
    if audit.flagged and MEMORISATION_FLAG not in result.flags:
        result.flags.append(MEMORISATION_FLAG)


def read_shape_table(session: Session, reply: Reply, index: int = 0) -> np.ndarray:
    """A (rows, 9) int64 table: ndim in 0..8, then that many non-negative sizes, zeros after."""
    if len(reply.tensors) <= index:
        raise ProtocolViolation("a shapes table is missing")
    ref = reply.tensors[index]
    rows = ref.shape[0] if len(ref.shape) == 2 else 0
    table = session.get(reply, index, (rows, wire.MAX_NDIM + 1), finite=False, kinds="iu")
    return check_shape_table(table)  # bounded sizes: no int64 overflow later (threat 42)


def score_predictions(
    ctx: PartContext, timed: LoadgenResult, labels: dict[str, np.ndarray]
) -> dict[str, float]:
    """Metrics over the answers of every timed query; on the public split if there is one."""
    split_path = ctx.hidden / "split.npz"
    if not split_path.is_file():
        return _metrics(ctx, timed, labels, np.ones(timed.indices.size, dtype=bool))
    split = load_npz(split_path)
    public = _metrics(ctx, timed, labels, np.isin(timed.indices, split["public"]))
    private = _metrics(ctx, timed, labels, np.isin(timed.indices, split["private"]))
    return {**public, **{f"private_{k}": v for k, v in private.items()}}


def _metrics(
    ctx: PartContext, timed: LoadgenResult, labels: dict[str, np.ndarray], rows: np.ndarray
) -> dict[str, float]:
    names = [o.name for o in ctx.part.outputs]
    logits = timed.outputs[names[0]][rows]
    truth = labels["labels"][timed.indices[rows]]
    values = m.classification_metrics(logits, truth)
    if "boxes" in names and "boxes" in labels:
        boxes = timed.outputs["boxes"][rows]
        values.update(
            m.localization_metrics(
                logits,
                truth,
                boxes,
                labels["boxes"][timed.indices[rows]],
                empty_label=ctx.part.metric_scoring.empty_label,
            )
        )
    return values
