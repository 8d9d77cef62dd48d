"""The ``train`` kind's keys: a builder (and optionally ``train()``) trained inside the sandbox
under ``[parts.budget]`` (``[parts.budget.gpu]`` on GPU workers), then evaluated like a model
part (``grader.kinds.model.manifest``); ``reference`` makes it prove its architecture.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from grader.kinds.kind import Metric, Rule
from grader.kinds.model import manifest as model
from grader.manifest import Budget, Part, Reader, Scoring

KEYS = model.EVALUATED_KEYS | {"budget", "reference"}
BUDGET_OPTIMIZERS = ("sgd", "adam")
METRICS = (
    *model.METRICS,
    # Training seconds are timing too: rounded and shown after the deadline only.
    Metric("train_s", "Training time", "s", visibility="after_deadline"),
    Metric("train_images", "Training images seen", format="count", visibility="mentor"),
)


def read(reader: Reader, raw: dict[str, Any], name: str, where: str) -> Part:
    reader.only(raw, KEYS | {"name", "kind"}, where)
    scoring_raw = reader.get(raw, "scoring", dict, where, {})
    budget_raw = reader.get(raw, "budget", dict, where, {})
    gpu_scoring_raw = gpu_table(reader, scoring_raw, where, "scoring")
    gpu_budget_raw = gpu_table(reader, budget_raw, where, "budget")
    evaluated = {**raw, "scoring": model.without_gpu(scoring_raw)} if "scoring" in raw else raw
    fields = model.evaluated_fields(reader, evaluated, where)
    cpu_budget = budget(reader, model.without_gpu(budget_raw), where)
    part = Part(
        name=name,
        kind="train",
        budget=cpu_budget,
        gpu_budget=gpu_budget(reader, cpu_budget, gpu_budget_raw, where),
        gpu_scoring=gpu_scoring(reader, scoring_raw, gpu_scoring_raw, gpu_budget_raw, where),
        reference=reader.get(raw, "reference", str, where, ""),
        **fields,
    )
    if part.builder == "build_model" and part.budget.seconds <= 0:
        raise reader.fail(where, "[parts.budget] seconds must be positive")
    if part.budget.bn_recalibration_images and not part.reference:
        # The trusted side takes only the statistics' positions of the reference's state from
        # the recalibrated one (grader.kinds.train.recalibration): without a reference it
        # cannot tell a statistic from a weight.
        raise reader.fail(where, "[parts.budget] bn_recalibration_images needs a reference")
    return part


def budget(
    reader: Reader, raw: dict[str, Any], where: str, table: str = "[parts.budget]"
) -> Budget:
    w = f"{where} {table}"
    fields = Budget.__dataclass_fields__
    reader.only(raw, set(fields), w)
    values: dict[str, Any] = {}
    for key in raw:
        if key == "optimizer":
            values[key] = reader.get(raw, key, str, w)
            if values[key] not in BUDGET_OPTIMIZERS:
                raise reader.fail(w, f"optimizer {values[key]!r} is not one of {BUDGET_OPTIMIZERS}")
            continue
        values[key] = reader.get(raw, key, int if fields[key].type == "int" else float, w)
        if key in ("images", "seed", "bn_recalibration_images"):
            if values[key] < 0:
                raise reader.fail(w, f"{key} must not be negative")
        elif values[key] <= 0:
            raise reader.fail(w, f"{key} must be positive")
    return Budget(**values)


def gpu_table(reader: Reader, raw: dict[str, Any], where: str, table: str) -> dict | None:
    """The ``gpu`` sub-table of ``[parts.budget]`` or ``[parts.scoring]``, if any."""
    if "gpu" not in raw:
        return None
    gpu = raw["gpu"]
    if not isinstance(gpu, dict):
        raise reader.fail(f"{where} [parts.{table}]", f"'gpu' must be a table [parts.{table}.gpu]")
    return gpu


def gpu_budget(
    reader: Reader, cpu: Budget, raw: dict[str, Any] | None, where: str
) -> Budget | None:
    """``[parts.budget.gpu]``: its keys over the CPU budget's."""
    if raw is None:
        return None
    w = f"{where} [parts.budget.gpu]"
    if not raw:
        raise reader.fail(w, "is empty: set what GPU workers change (epochs, images, seconds)")
    return budget(reader, {**asdict(cpu), **raw}, where, "[parts.budget.gpu]")


def gpu_scoring(
    reader: Reader,
    cpu_raw: dict[str, Any],
    raw: dict[str, Any] | None,
    gpu_budget_raw: dict[str, Any] | None,
    where: str,
) -> Scoring | None:
    """``[parts.scoring.gpu]``: thresholds over the CPU scoring's; the points stay the same."""
    if raw is None:
        return None
    w = f"{where} [parts.scoring.gpu]"
    if gpu_budget_raw is None:
        raise reader.fail(w, "needs a [parts.budget.gpu]: the same budget scores the same anywhere")
    fixed = {"metric", "accuracy_points", "speed_points", "empty_label"} & set(raw)
    if fixed:
        raise reader.fail(
            w, f"{sorted(fixed)} cannot change on GPU workers (a score means the same anywhere)"
        )
    return model.scoring(
        reader, {**model.without_gpu(cpu_raw), **raw}, where, "[parts.scoring.gpu]"
    )


def rules(part: Part) -> list[Rule]:
    return model.rules(part)
