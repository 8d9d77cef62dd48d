"""'How it is scored' and 'limits', in words, from the bundle's parts as the course stored them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from courses.models import Assignment


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
    parts = assignment.scoring if isinstance(assignment.scoring, list) else []
    return [_part(part) for part in parts if isinstance(part, dict)]


def _part(part: dict[str, Any]) -> ScoredPart:
    rules = [_check_rule(check, part.get("kind", "")) for check in part.get("checks", [])]
    scoring = part.get("scoring")
    if isinstance(scoring, dict):
        rules.extend(_metric_rules(scoring))
    return ScoredPart(name=str(part.get("name", "")), kind=str(part.get("kind", "")), rules=rules)


def _check_rule(check: dict[str, Any], kind: str) -> ScoreRule:
    name = check.get("name", "?")
    if kind == "functions":
        tolerance = f"rtol {check.get('rtol', 0)}, atol {check.get('atol', 0)}"
        what = f"{name}: every hidden case matches the reference ({tolerance})"
    elif kind == "architecture":
        what = f"{name}: reference weights give the reference outputs; parameter shapes match"
    else:
        what = f"{name}"
    return ScoreRule(what, float(check.get("points", 0)))


def _metric_rules(scoring: dict[str, Any]) -> list[ScoreRule]:
    metric = scoring.get("metric", "accuracy")
    rules = []
    if scoring.get("accuracy_points"):
        rules.append(
            ScoreRule(
                f"{metric} on the hidden test set: no points at {scoring.get('metric_zero')} or "
                f"below, all points at {scoring.get('metric_full')} or above, linear in between",
                float(scoring["accuracy_points"]),
            )
        )
    if scoring.get("speed_points"):
        rules.append(
            ScoreRule(
                f"throughput measured by the platform: no points at {scoring.get('ips_zero')} "
                f"images/s, all points at {scoring.get('ips_full')} images/s (log scale), only "
                f"when {metric} is at least {scoring.get('accuracy_floor', 0)}",
                float(scoring["speed_points"]),
            )
        )
    return rules
