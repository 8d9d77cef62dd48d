from __future__ import annotations

from datetime import datetime
from typing import Any

from courses.roles import AnyUser
from courses.roles import is_mentor as _is_mentor
from django import template
from django.utils.dateparse import parse_datetime

register = template.Library()

_STATUS_WORDS = {
    "queued": "Queued",
    "running": "Running",
    "scored": "Scored",
    "failed": "Failed",
    "error": "Grading error",
    "rejected": "Rejected",
}


@register.filter
def is_mentor(user: AnyUser) -> bool:
    return _is_mentor(user)


@register.filter
def status_word(status: str | None) -> str:
    return _STATUS_WORDS.get(status or "", status or "")


@register.filter
def metric(value: Any) -> str:
    """Numbers read at a glance: fractions as 0.9312, large counts with separators."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def scalar_items(mapping: Any) -> list[tuple[str, Any]]:
    """Top-level metrics; nested groups (per-family metrics) are shown by ``nested_items``."""
    if not isinstance(mapping, dict):
        return []
    return [(k, v) for k, v in mapping.items() if not isinstance(v, dict)]


@register.filter
def nested_items(mapping: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(mapping, dict):
        return []
    return [(k, v) for k, v in mapping.items() if isinstance(v, dict)]


@register.filter
def points(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


@register.filter
def parse_iso(value: str | None) -> datetime | None:
    """Board rows carry ISO strings (the API's shape); templates format them as dates."""
    return parse_datetime(value) if isinstance(value, str) else None


@register.filter
def metric_as(value: Any, fmt: str) -> str:
    """A metric written the way ``grader.metric_info`` declares it: ``fraction`` (0.8722),
    ``count``, ``points``, else ``decimal``. Whatever is not a number is written as it is."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return metric(value)
    if fmt == "fraction":
        return f"{value:.4f}"
    if fmt == "count":
        return f"{round(value):,}"
    if fmt == "points":
        return f"{value:.2f}"
    return metric(value)
