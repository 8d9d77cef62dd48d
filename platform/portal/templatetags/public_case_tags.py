"""Filters of the public-case detail (``portal/_public_case_detail.html``)."""

from __future__ import annotations

import math

from django import template
from submissions.public_cases import failed_public_cases

register = template.Library()


@register.filter
def failed_cases(cases: object) -> list:
    return failed_public_cases(cases)


@register.filter
def passed_count(cases: object) -> int:
    return sum(1 for c in cases if isinstance(c, dict) and c.get("passed")) if isinstance(
        cases, list
    ) else 0


@register.filter
def significant(value: object) -> str:
    """An error in 3 significant digits; none (an infinite or NaN one) as "inf"."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "inf"
    return f"{value:.3g}"
