"""What the report declares about each metric: its label, unit, audience and whether it scores.

Metrics computed from the sandbox's timing (latency, throughput, their spread, timed query
counts, training seconds) can be steered by the submission: one that sleeps by a hidden pixel's
value would read the hidden set back through them (threat 38). The grader rounds them to two
significant digits here, and declares them ``after_deadline`` (or ``mentor``) so the platform
hides them while submissions are open. The declaration is ``Report.metric_info``:
``{key: {"label", "unit", "visibility", "scored"}}`` with visibility one of ``public``,
``after_deadline``, ``after_reveal`` (private-split metrics), ``mentor``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from grader.report import VISIBILITIES

SIGNIFICANT_DIGITS = 2
# Steered by the sandbox's timing: rounded, and not shown before the deadline.
TIMING_PREFIXES = ("latency_", "throughput_", "train_s")
# Counts of timed queries depend on the model's speed too, and teach a mentee nothing.
MENTOR_PREFIXES = ("timed_",)
LABELS: dict[str, tuple[str, str]] = {
    "accuracy": ("Accuracy", ""),
    "top5_accuracy": ("Top-5 accuracy", ""),
    "loc_accuracy": ("Localization accuracy", ""),
    "mean_iou": ("Mean IoU", ""),
    "throughput_ips": ("Throughput", "images/s"),
    "throughput_cv": ("Throughput spread", ""),
    "latency_p50_ms": ("Median latency", "ms"),
    "latency_p90_ms": ("90th percentile latency", "ms"),
    "latency_p50_cv": ("Median latency spread", ""),
    "timed_queries": ("Timed queries", ""),
    "timed_images": ("Timed images", ""),
    "params": ("Parameters", ""),
    "macs": ("Multiply-accumulates", ""),
    "train_s": ("Training time", "s"),
    "public_score": ("Public score", "points"),
    "private_score": ("Private score", "points"),
}
__all__ = ["VISIBILITIES", "coarsen", "describe", "round_sig", "visibility"]


def base_name(key: str) -> str:
    """``cnn/latency_p50_ms`` -> ``latency_p50_ms``."""
    return key.rsplit("/", 1)[-1]


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


def describe(metrics: Collection[str], scored: Collection[str]) -> dict[str, dict[str, object]]:
    """``metric_info`` for ``metrics``; ``scored``: the keys that earn points."""
    info: dict[str, dict[str, object]] = {}
    for key in metrics:
        name = base_name(key)
        label, unit = LABELS.get(name.removeprefix("private_"), (name.replace("_", " "), ""))
        if name.startswith("private_") and name != "private_score":
            label = f"{label} (private split)"
        part = key[: -len(name) - 1] if key != name else ""
        info[key] = {
            "label": f"{label} ({part})" if part else label,
            "unit": unit,
            "visibility": visibility(key),
            "scored": key in scored,
        }
    return info
