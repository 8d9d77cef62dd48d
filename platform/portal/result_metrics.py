"""A result page's metrics in words: grouped by part, each named once, the scored ones first.

The grader writes a multi-part report's metrics twice, under ``<part>/<metric>`` and as a
top-level copy (of the part that scores it: ``grader.grading.merge_part_metrics``); a page
shows each figure once, under its part. Labels, units and whether a metric earns points come
from the report's ``metric_info`` (``grader.metric_info``'s vocabulary), the format from
``grader.metric_info.metric_format``; a metric the report does not declare is named from its
key the same way. Only what ``submissions.visibility`` let through is given here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grader.metric_info import base_name, metric_words

OVERALL = ""


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    unit: str
    format: str
    value: Any
    scored: bool


@dataclass
class MetricGroup:
    part: str  # "" for a single-part report and for the report-wide figures
    rows: list[MetricRow] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.part.replace("_", " ") if self.part else "Overall"


def scored_by_checks(checks: list[Any]) -> set[str]:
    """The metric keys a report's checks scored, for reports older than ``metric_info``: a
    metric check is named by its key (``boxes/mean_iou``), a speed check scores throughput."""
    keys = set()
    for check in checks:
        name = check.get("name") if isinstance(check, Mapping) else None
        if not isinstance(name, str) or "/" not in name and name != "speed":
            continue
        part, _, metric = name.rpartition("/")
        metric = "throughput_ips" if metric == "speed" else metric
        keys |= {f"{part}/{metric}" if part else metric, metric}
    return keys


def metric_groups(
    shown: Mapping[str, Any],
    declared: Mapping[str, Any] | None,
    part_order: list[str] | None = None,
    checks: list[Any] | None = None,
) -> list[MetricGroup]:
    """``shown``: the metrics the viewer may read; ``declared``: the report's ``metric_info``;
    ``checks``: the report's checks (which metrics scored, where nothing was declared)."""
    declared = declared if isinstance(declared, Mapping) else {}
    scored_keys = scored_by_checks(checks or [])
    parts_present = {key.rsplit("/", 1)[0] for key in shown if "/" in key}
    groups: dict[str, MetricGroup] = {}
    for key, value in shown.items():
        if isinstance(value, Mapping):  # an older report's nested per-family metrics
            for inner, inner_value in value.items():
                if not isinstance(inner_value, Mapping):
                    row = _row(f"{key}/{inner}", inner_value, declared, key, scored_keys)
                    groups.setdefault(key, MetricGroup(key)).rows.append(row)
            continue
        part = key.rsplit("/", 1)[0] if "/" in key else OVERALL
        if part == OVERALL and any(f"{p}/{key}" in shown for p in parts_present):
            continue  # the top-level copy of a part's figure: shown under its part
        row = _row(key, value, declared, part, scored_keys)
        groups.setdefault(part, MetricGroup(part)).rows.append(row)
    order = {name: i for i, name in enumerate(part_order or [])}
    ordered = sorted(
        groups.values(),
        key=lambda g: (g.part == OVERALL, order.get(g.part, len(order)), g.part),
    )
    for group in ordered:
        group.rows.sort(key=lambda row: not row.scored)  # stable: the report's order otherwise
    return ordered


def _row(
    key: str, value: Any, declared: Mapping[str, Any], part: str, scored_keys: set[str]
) -> MetricRow:
    info = declared.get(key)
    words = metric_words(key)
    if not isinstance(info, Mapping):
        return MetricRow(key, words.label, words.unit, words.format, value, key in scored_keys)
    label = str(info.get("label") or "")
    suffix = f" ({part})"
    if part and label.endswith(suffix):  # the group's title already names the part
        label = label[: -len(suffix)]
    if not label or label == words.label.lower() or label == base_name(key).replace("_", " "):
        label = words.label  # an older grader's key spelt out: today's words read better
    unit = str(info.get("unit") or "")
    return MetricRow(key, label, unit, words.format, value, info.get("scored") is True)
