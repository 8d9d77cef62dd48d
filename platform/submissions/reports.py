"""The grader's report as the platform stores it: parsed defensively, shapes checked, sizes capped.

The report is produced by the trusted grader process, but it carries text the mentee's code printed
(logs, messages), so every string is capped and the structure is rebuilt from known keys only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grader.report import ReportFormatError, parse_report_json
from submissions.public_cases import clean_public_cases

MAX_LOG_CHARS = 64_000
MAX_MESSAGE_CHARS = 2_000
MAX_CHECKS = 500
MAX_METRICS = 200
MAX_FLAGS = 10
# Audit flags the grader may raise (threat: hidden sets recoverable from public data); any
# other word is dropped, so a flag the platform does not act on never reaches a page.
KNOWN_FLAGS = frozenset({"memorisation"})
CHECK_STAGES = ("public", "hidden")


class MalformedReport(ValueError):
    """The grader's output is not a report: an infrastructure error, never the mentee's fault."""


@dataclass(frozen=True)
class ParsedReport:
    status: str
    score: float | None
    error_kind: str
    error_message: str
    data: dict[str, Any]  # the normalized report, stored as JSON


def parse_report(stdout: str) -> ParsedReport:
    """Validated by the grader's own reader (exact shape), then rebuilt from known keys."""
    try:
        raw = parse_report_json(stdout)
    except ReportFormatError as exc:
        raise MalformedReport(f"the grader printed no valid report ({exc})") from None
    status = raw["status"]
    error = _error(raw.get("error"))
    data = {
        "status": status,
        "score": _score(raw.get("score")),
        "checks": _checks(raw.get("checks")),
        "metrics": _metrics(raw.get("metrics")),
        "error": error,
        "logs": _text(raw.get("logs"), MAX_LOG_CHARS),
        "timings": _metrics(raw.get("timings")),
        "flags": _flags(raw.get("flags")),
        "metric_info": _metric_info(raw.get("metric_info")),
        # Functions parts: each public case's detail (submissions.public_cases).
        "public_cases": clean_public_cases(raw.get("public_cases")),
    }
    if raw.get("hidden_logs"):
        # Mentors only: ``visibility.visible_report`` never hands this key to anyone.
        data["hidden_logs"] = _text(raw.get("hidden_logs"), MAX_LOG_CHARS)
    return ParsedReport(
        status=status,
        score=data["score"],
        error_kind=error["kind"] if error else "",
        error_message=error["message"] if error else "",
        data=data,
    )


def infrastructure_report(kind: str, message: str) -> dict[str, Any]:
    """The report stored when the grader could not produce one."""
    return {
        "status": "error",
        "score": None,
        "checks": [],
        "metrics": {},
        "error": {"kind": kind, "message": _text(message, MAX_MESSAGE_CHARS)},
        "logs": "",
        "timings": {},
        "flags": [],
        "metric_info": {},
    }


def _text(value: object, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[:limit] + "\n[... cut: too long]"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _score(value: object) -> float | None:
    score = _number(value)
    return None if score is None else min(100.0, max(0.0, score))


def _error(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {
        "kind": _text(value.get("kind"), 64),
        "message": _text(value.get("message"), MAX_MESSAGE_CHARS),
    }


def _checks(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    checks = []
    for item in value[:MAX_CHECKS]:
        if isinstance(item, dict):
            checks.append(
                {
                    "name": _text(item.get("name"), 200),
                    "passed": item.get("passed") is True,
                    "points": _number(item.get("points")) or 0.0,
                    "max_points": _number(item.get("max_points")) or 0.0,
                    "message": _text(item.get("message"), MAX_MESSAGE_CHARS),
                    # Which stage decided it; unknown means hidden (``visibility``).
                    "stage": item.get("stage") if item.get("stage") in CHECK_STAGES else "",
                }
            )
    return checks


def _flags(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return sorted({item for item in value[:MAX_FLAGS] if item in KNOWN_FLAGS})


def _metric_info(value: object) -> dict[str, dict[str, Any]]:
    """Per-metric declarations (``{"<key>": {"label", "unit", "visibility", "scored"}}``, see
    ``grader.metric_info``), capped; ``visibility.metric_audience`` decides what a word means."""
    if not isinstance(value, dict):
        return {}
    info: dict[str, dict[str, Any]] = {}
    for key, item in list(value.items())[:MAX_METRICS]:
        if isinstance(item, dict) and isinstance(item.get("visibility"), str):
            info[str(key)[:100]] = {
                "label": _text(item.get("label"), 100),
                "unit": _text(item.get("unit"), 20),
                "visibility": item["visibility"][:32],
                "scored": item.get("scored") is True,
            }
    return info


def _metrics(value: object, depth: int = 0) -> dict[str, Any]:
    """Numbers and short strings, nested one level (e.g. per-family metrics); the rest is dropped."""
    if not isinstance(value, dict):
        return {}
    metrics: dict[str, Any] = {}
    for key, item in list(value.items())[:MAX_METRICS]:
        if isinstance(item, int) and not isinstance(item, bool):
            metrics[str(key)[:100]] = item
        elif (number := _number(item)) is not None:
            metrics[str(key)[:100]] = number
        elif isinstance(item, str):
            metrics[str(key)[:100]] = item[:200]
        elif isinstance(item, dict) and depth == 0:
            metrics[str(key)[:100]] = _metrics(item, depth=1)
    return metrics
