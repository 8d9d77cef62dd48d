"""The ``model`` kind's keys: a builder and a weights file in the upload, evaluated on hidden
inputs and timed by the trusted side; points from ``[parts.scoring]``.

``scoring``, ``outputs``, ``rules`` and ``METRICS`` are shared with ``train`` parts, which are
evaluated like a model part once trained.
"""

from __future__ import annotations

from typing import Any

from grader.kinds.kind import Metric, Rule
from grader.manifest import OutputSpec, Part, Reader, Scoring, Timing

SCORING_METRICS = ("accuracy", "top5_accuracy", "loc_accuracy", "mean_iou")
# Keys every evaluated kind (model, train) reads the same way.
EVALUATED_KEYS = frozenset(
    {"builder", "builder_kwargs", "input_shape", "outputs", "num_classes", "scoring", "timing"}
)
KEYS = EVALUATED_KEYS | {"weights", "weights_strict"}
SCORING_KEYS = frozenset(Scoring.__dataclass_fields__)

METRICS = (
    Metric("accuracy", "Accuracy", format="fraction"),
    Metric("top5_accuracy", "Top-5 accuracy", format="fraction"),
    Metric("loc_accuracy", "Localization accuracy", format="fraction"),
    Metric("mean_iou", "Mean IoU", format="fraction"),
    # Timing-derived: steered by the sandbox, so rounded and shown after the deadline only.
    Metric("throughput_ips", "Throughput", "images/s", visibility="after_deadline"),
    Metric("throughput_cv", "Throughput spread", visibility="after_deadline"),
    Metric("latency_p50_ms", "Median latency", "ms", visibility="after_deadline"),
    Metric("latency_p90_ms", "90th percentile latency", "ms", visibility="after_deadline"),
    Metric("latency_p50_cv", "Median latency spread", visibility="after_deadline"),
    # Counts of timed queries depend on the model's speed too, and teach a mentee nothing.
    Metric("timed_queries", "Timed queries", format="count", visibility="mentor"),
    Metric("timed_images", "Timed images", format="count", visibility="mentor"),
    Metric("params", "Parameters", format="count"),
    Metric("macs", "Multiply-accumulates", format="count"),
    # The memorisation audit's figure (grader.memorisation): for mentors only.
    Metric(
        "memorisation_gap", "Memorisation gap (public originals minus hidden)", visibility="mentor"
    ),
)


def read(reader: Reader, raw: dict[str, Any], name: str, where: str) -> Part:
    if "budget" in raw:
        raise reader.fail(
            where, "[parts.budget] belongs to train parts: only train parts have a GPU budget"
        )
    reader.only(raw, KEYS | {"name", "kind"}, where)
    part = Part(
        name=name,
        kind="model",
        weights=reader.get(raw, "weights", str, where, ""),
        weights_strict=reader.get(raw, "weights_strict", bool, where, True),
        **evaluated_fields(reader, raw, where),
    )
    if not part.weights:
        raise reader.fail(where, 'a model part needs weights = "<file in the upload>"')
    return part


def evaluated_fields(reader: Reader, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The keys of a part evaluated as a model (model and train kinds), validated."""
    scoring_raw = reader.get(raw, "scoring", dict, where, None)
    if scoring_raw is None:
        raise reader.fail(where, f"a {raw.get('kind')} part needs [parts.scoring]")
    fields: dict[str, Any] = {
        "builder": reader.get(raw, "builder", str, where, "build_model"),
        "builder_kwargs": reader.get(raw, "builder_kwargs", dict, where, {}),
        "input_shape": input_shape(reader, raw, where),
        "outputs": outputs(reader, raw, where),
        "num_classes": reader.get(raw, "num_classes", int, where, 10),
        "scoring": scoring(reader, without_gpu(scoring_raw), where),
        "timing": reader.dataclass_table(
            Timing, reader.get(raw, "timing", dict, where, {}), f"{where} [parts.timing]"
        ),
    }
    if not fields["outputs"]:
        raise reader.fail(where, "outputs must declare at least one output")
    check_empty_label(reader, fields["scoring"], fields["num_classes"], where)
    return fields


def without_gpu(raw: dict[str, Any]) -> dict[str, Any]:
    """A table without its ``gpu`` sub-table (only train parts may have one)."""
    return {k: v for k, v in raw.items() if k != "gpu"}


def input_shape(reader: Reader, raw: dict[str, Any], where: str) -> tuple[int, ...]:
    shape = reader.int_tuple(raw, "input_shape", where)
    if len(shape) != 3 or min(shape) <= 0:
        raise reader.fail(where, "input_shape must be [C, H, W] with positive sizes")
    return shape


def outputs(reader: Reader, raw: dict[str, Any], where: str) -> tuple[OutputSpec, ...]:
    specs = []
    for i, item in enumerate(reader.get(raw, "outputs", list, where, [])):
        if not isinstance(item, dict):
            raise reader.fail(where, f"outputs[{i}] must be {{name, shape}}")
        shape = reader.int_tuple(item, "shape", f"{where} outputs[{i}]")
        if not shape or min(shape) <= 0 or len(shape) > 7:
            raise reader.fail(where, f"outputs[{i}] shape must have 1..7 positive sizes")
        specs.append(OutputSpec(reader.get(item, "name", str, where), shape))
    return tuple(specs)


def scoring(
    reader: Reader, raw: dict[str, Any], where: str, table: str = "[parts.scoring]"
) -> Scoring:
    w = f"{where} {table}"
    if "gpu" in raw:
        raise reader.fail(w, "only train parts have a GPU budget ([parts.scoring.gpu])")
    reader.only(raw, SCORING_KEYS, w)
    kinds = {"metric": str, "empty_label": int}
    values = {k: reader.get(raw, k, kinds.get(k, float), w) for k in raw}
    result = Scoring(**values)
    if result.empty_label is not None and result.empty_label < 0:
        raise reader.fail(w, f"empty_label {result.empty_label} must not be negative")
    if result.metric not in SCORING_METRICS:
        raise reader.fail(w, f"metric {result.metric!r} is not one of {SCORING_METRICS}")
    if result.metric_full <= result.metric_zero:
        raise reader.fail(w, "metric_full must be greater than metric_zero")
    if result.speed_points and not 0 < result.ips_zero < result.ips_full:
        raise reader.fail(w, "speed scoring needs 0 < ips_zero < ips_full")
    return result


def check_empty_label(reader: Reader, result: Scoring, num_classes: int, where: str) -> None:
    empty = result.empty_label
    if empty is not None and not 0 <= empty < num_classes:
        raise reader.fail(
            f"{where} [parts.scoring]", f"empty_label {empty} must be a class in [0, {num_classes})"
        )


def scored_metrics(part: Part) -> list[str]:
    if part.scoring is None:
        return []
    return [part.scoring.metric] + (["throughput_ips"] if part.scoring.speed_points else [])


def rules(part: Part) -> list[Rule]:
    """What earns the points of ``[parts.scoring]``, in words."""
    found: list[Rule] = []
    result = part.scoring
    if result is None:
        return found
    if result.accuracy_points:
        found.append(
            Rule(
                f"{result.metric} on the hidden test set: no points at {result.metric_zero:g} or "
                f"below, all points at {result.metric_full:g} or above, linear in between",
                result.accuracy_points,
            )
        )
    if result.speed_points:
        found.append(
            Rule(
                f"throughput measured by the platform: no points at {result.ips_zero:g} "
                f"images/s, all points at {result.ips_full:g} images/s (log scale), only "
                f"when {result.metric} is at least {result.accuracy_floor:g}",
                result.speed_points,
            )
        )
    return found
