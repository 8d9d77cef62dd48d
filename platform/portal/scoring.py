"""'How it is scored' and 'limits', in words, from the bundle's parts as the course stored them
(the words are the part kinds', ``grader/kinds/<kind>/manifest.py`` ``rules``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from courses.models import Assignment
from leaderboards.columns import assignment_parts


@dataclass(frozen=True)
class ScoreRule:
    what: str
    points: float


@dataclass(frozen=True)
class ScoredPart:
    name: str
    kind: str
    rules: list[ScoreRule]

    @property
    def points(self) -> float:
        return sum(rule.points for rule in self.rules)


_LIMIT_LABELS = {
    "wall_seconds": ("Wall-clock time", "s"),
    "cpu_seconds": ("CPU time", "s"),
    "memory_mb": ("Memory", "MB"),
    "pids": ("Processes and threads", ""),
    "scratch_mb": ("Scratch disk", "MB"),
    "shm_mb": ("Shared memory (/dev/shm)", "MB"),
}


def limits(assignment: Assignment) -> list[tuple[str, str]]:
    """The sandbox limits the bundle sets, plus the upload rules, as (label, value) rows."""
    rows = [
        (label, f"{_number(assignment.limits[key])} {unit}".strip())
        for key, (label, unit) in _LIMIT_LABELS.items()
        if key in assignment.limits
    ]
    rows.append(("Upload size", f"{assignment.max_upload_bytes // 2**20} MB (.py, .zip or .ipynb)"))
    rows.append(("Submissions per 24 hours", str(assignment.daily_quota)))
    return rows


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def scored_parts(assignment: Assignment) -> list[ScoredPart]:
    return [_part(part) for part in assignment_parts(assignment)]


def _part(part: dict[str, Any]) -> ScoredPart:
    """The part's rules in the words its kind gave at seed time (``grader.catalogue``)."""
    rules = [
        ScoreRule(str(rule.get("what", "")), float(rule.get("points", 0)))
        for rule in part.get("rules", [])
        if isinstance(rule, dict)
    ]
    return ScoredPart(name=str(part.get("name", "")), kind=str(part.get("kind", "")), rules=rules)
