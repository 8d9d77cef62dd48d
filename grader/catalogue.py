"""What the platform stores of a bundle, as plain JSON: the grader's normalised parts (with
every default filled in, so no reader has its own), the portal's words for what earns points,
and the metric declarations. ``platform/courses/bundles.py`` is the one caller.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from grader.bundle_metrics import declared_keys, scored_keys
from grader.kinds import KINDS
from grader.manifest import Bundle, Part
from grader.metric_info import describe


def part_record(part: Part) -> dict[str, Any]:
    """A part as JSON: its fields (``grader.manifest.Part``), ``max_points`` and ``rules``
    (``[{"what", "points"}]``: the kind's words for each thing that earns points)."""
    record = asdict(part)
    record["max_points"] = part.max_points
    record["rules"] = [asdict(rule) for rule in KINDS[part.kind].rules(part)]
    return record


def part_records(bundle: Bundle) -> list[dict[str, Any]]:
    return [part_record(part) for part in bundle.parts]


def metric_declarations(bundle: Bundle) -> dict[str, dict[str, object]]:
    """``{key: {"label", "unit", "visibility", "scored"}}`` for every metric a scored report of
    the bundle may carry, as ``Report.metric_info`` declares them."""
    return describe(declared_keys(bundle), scored_keys(bundle))
