"""What the report declares about each metric: its label, unit, audience and whether it scores.

Metrics computed from the sandbox's timing (latency, throughput, their spread, timed query
counts, training seconds) can be steered by the submission: one that sleeps by a hidden pixel's
value would read the hidden set back through them (threat 38). The grader rounds them to two
significant digits here, and declares them ``after_deadline`` (or ``mentor``) so the platform
hides them while submissions are open. The declaration is ``Report.metric_info``:
``{key: {"label", "unit", "visibility", "scored"}}`` with visibility one of ``public``,
``after_deadline``, ``after_reveal`` (private-split metrics), ``mentor``.

How a value is written (``metric_format``: a fraction with four decimals, a count with thousands
separators...) belongs to the metric's name like its label; pages ask it here rather than
each keeping a table, so a new metric is described once.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import NamedTuple

from grader.kinds import Metric, declared_metrics
from grader.report import VISIBILITIES

SIGNIFICANT_DIGITS = 2
# Steered by the sandbox's timing: rounded, and not shown before the deadline.
TIMING_PREFIXES = ("latency_", "throughput_", "train_s")
# Counts of timed queries depend on the model's speed too, and teach a mentee nothing.
MENTOR_PREFIXES = ("timed_",)
# How a value is written: ``fraction`` (0..1 with four decimals, as the bundle's thresholds and
# the check messages write it: 0.8722), ``decimal`` (4 significant digits), ``count`` (an
# integer with thousands separators), ``points`` (a score out of 100, two decimals).
FORMATS = ("fraction", "decimal", "count", "points")


class MetricWords(NamedTuple):
    label: str
    unit: str
    format: str


# The report's own metrics; every other metric is declared by the kind whose parts report it
# (``grader/kinds/<kind>/manifest.py``, ``METRICS``), so a new metric is described once.
REPORT_METRICS = (
    Metric("public_score", "Public score", "points", "points"),
    Metric("private_score", "Private score", "points", "points", "after_reveal"),
)
DECLARED: dict[str, Metric] = {**declared_metrics(), **{m.name: m for m in REPORT_METRICS}}
LABELS: dict[str, MetricWords] = {
    name: MetricWords(m.label, m.unit, m.format)
    for name, m in DECLARED.items()
    if m.visibility != "mentor"
}
# Known names whose audience stays ``mentor``: they are described in words for the mentors
# who read them, but never shown to mentees (the audit's figure, the training work counted).
MENTOR_LABELS: dict[str, MetricWords] = {
    name: MetricWords(m.label, m.unit, m.format)
    for name, m in DECLARED.items()
    if m.visibility == "mentor"
}
__all__ = [
    "FORMATS",
    "VISIBILITIES",
    "coarsen",
    "describe",
    "metric_format",
    "metric_words",
    "round_sig",
    "visibility",
]


def base_name(key: str) -> str:
    """``cnn/latency_p50_ms`` -> ``latency_p50_ms``."""
    return key.rsplit("/", 1)[-1]


def part_of(key: str) -> str:
    """``cnn/latency_p50_ms`` -> ``cnn``; a top-level key belongs to no part (``""``)."""
    return key.rsplit("/", 1)[0] if "/" in key else ""


def round_sig(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def is_timing(key: str) -> bool:
    name = base_name(key).removeprefix("private_")
    return name.startswith(TIMING_PREFIXES) or name.endswith("_cv")


def coarsen(metrics: Mapping[str, float | int]) -> dict[str, float | int]:
    """The metrics with every timing-derived one rounded to two significant digits."""
    return {
        key: round_sig(float(value)) if is_timing(key) and not isinstance(value, bool) else value
        for key, value in metrics.items()
    }


def visibility(key: str) -> str:
    name = base_name(key)
    if name.startswith("private"):
        return "after_reveal"
    if name.startswith(MENTOR_PREFIXES):
        return "mentor"
    if is_timing(key):
        return "after_deadline"
    return "public" if name in LABELS else "mentor"  # unknown: mentors only


def metric_words(key: str) -> MetricWords:
    """Label (without its part), unit and format of a metric key, known or not."""
    name = base_name(key)
    plain = name.removeprefix("private_") if name != "private_score" else name
    words = LABELS.get(plain) or MENTOR_LABELS.get(plain)
    if words is None:
        words = MetricWords(plain.replace("_", " ").capitalize(), "", "decimal")
    if plain != name:
        words = words._replace(label=f"{words.label} (private split)")
    return words


def metric_format(key: str) -> str:
    """One of ``FORMATS``: how pages write this metric's value."""
    return metric_words(key).format


def describe(metrics: Collection[str], scored: Collection[str]) -> dict[str, dict[str, object]]:
    """``metric_info`` for ``metrics``; ``scored``: the keys that earn points."""
    info: dict[str, dict[str, object]] = {}
    for key in metrics:
        words = metric_words(key)
        part = part_of(key)
        info[key] = {
            "label": f"{words.label} ({part})" if part else words.label,
            "unit": words.unit,
            "visibility": visibility(key),
            "scored": key in scored,
        }
    return info
