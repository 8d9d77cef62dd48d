"""A board's metric columns: the bundle's scored metrics, named in words.

Each part that earns points from a metric (``[parts.scoring]``) gives a column for that metric,
and one for throughput when speed earns points. Keys are the report's: ``<part>/<metric>`` when
the bundle has several parts (the grader writes both a prefixed and a top-level copy, and the
top-level one can come from another part: week 5's ``mean_iou``), the plain name otherwise.
Labels, units and formats are ``grader.metric_info``'s, the vocabulary of the report's
``metric_info``, so a column and the result page name a metric alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from courses.models import Assignment

from grader.metric_info import metric_words

THROUGHPUT = "throughput_ips"


@dataclass(frozen=True)
class Column:
    key: str  # the report's metric key
    label: str
    unit: str
    format: str  # one of grader.metric_info.FORMATS
    part: str

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


def assignment_parts(assignment: Assignment) -> list[dict[str, Any]]:
    """The bundle's parts as the course stored them (``Assignment.parts``, the grader's
    normalised parts: ``grader.catalogue.part_record``)."""
    parts = assignment.parts
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def board_columns(assignment: Assignment) -> list[Column]:
    """The scored metrics of the assignment, in the bundle's part order."""
    parts = assignment_parts(assignment)
    multi = len(parts) > 1
    found: list[tuple[str, str]] = []  # (part, metric name)
    for part in parts:
        scoring = part.get("scoring")
        if not isinstance(scoring, dict):
            continue
        name = str(part.get("name", ""))
        found.append((name, str(part.get("kind", "")), str(scoring.get("metric", "accuracy"))))
        if scoring.get("speed_points"):
            found.append((name, str(part.get("kind", "")), THROUGHPUT))
    # A part's name is added to the label only where two columns would read alike.
    repeated = Counter(metric for *_, metric in found)
    columns = []
    for part, kind, metric in found:
        words = metric_words(metric)
        label = f"{words.label} ({part_words(part, kind)})" if repeated[metric] > 1 else words.label
        key = f"{part}/{metric}" if multi else metric
        columns.append(Column(key, label, words.unit, words.format, part))
    return columns


def part_words(part: str, kind: str) -> str:
    """``train_alexnet`` (a train part) -> ``alexnet, trained``; ``localize`` -> ``localize``."""
    if kind == "train" and part.startswith("train_"):
        return f"{part.removeprefix('train_').replace('_', ' ')}, trained"
    return part.replace("_", " ")


def private_key(key: str) -> str:
    """The private split's value of a column in the stored report (``cnn/accuracy`` ->
    ``cnn/private_accuracy``); timing has no split and keeps its key."""
    part, _, name = key.rpartition("/")
    if name == THROUGHPUT:
        return key
    return f"{part}/private_{name}" if part else f"private_{name}"
