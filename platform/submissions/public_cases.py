"""A report's ``public_cases`` as the platform keeps them: rebuilt from known keys, capped.

The grader writes one entry per public case of a functions part (grader/kinds/functions/
detail.py): the inputs' shapes, expected against got, the worst element, the errors and the
bundle's hints, all computed from the public stage's values. Public cases are not secret, so
every viewer of the submission may read them; nothing of a hidden case is ever among them
(the grader never builds one). Anything that is not the expected shape is dropped, so an odd
report shows less, never breaks the page.
"""

from __future__ import annotations

import math
from typing import Any

MAX_CASES = 100
MAX_ITEMS = 16
TEXT_CAP = 500
VALUE_CAP = 40
OUTPUT_TEXT = ("expected", "got", "expected_at_worst", "got_at_worst", "tolerance")


def clean_public_cases(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    cases = []
    for item in value[:MAX_CASES]:
        if isinstance(item, dict) and isinstance(item.get("check"), str):
            cases.append(_case(item))
    return cases


def _case(item: dict[str, Any]) -> dict[str, Any]:
    case = item.get("case")
    outputs = item.get("outputs")
    return {
        "check": _text(item.get("check"), 200),
        "case": case if isinstance(case, int) and not isinstance(case, bool) else 0,
        "passed": item.get("passed") is True,
        "reason": _text(item.get("reason"), 40),
        "summary": _text(item.get("summary"), TEXT_CAP),
        "inputs": _texts(item.get("inputs"), TEXT_CAP),
        "outputs": [_output(o) for o in outputs[:8] if isinstance(o, dict)]
        if isinstance(outputs, list)
        else [],
        "hints": _texts(item.get("hints"), TEXT_CAP),
    }


def _output(item: dict[str, Any]) -> dict[str, Any]:
    index = item.get("index")
    worst = item.get("worst_index")
    output: dict[str, Any] = {
        "index": index if isinstance(index, int) and not isinstance(index, bool) else 0,
        "max_abs_error": _number(item.get("max_abs_error")),
        "max_rel_error": _number(item.get("max_rel_error")),
        "worst_index": [i for i in worst[:8] if isinstance(i, int) and not isinstance(i, bool)]
        if isinstance(worst, list)
        else None,
        "expected_values": _texts(item.get("expected_values"), VALUE_CAP),
        "got_values": _texts(item.get("got_values"), VALUE_CAP),
    }
    for name in OUTPUT_TEXT:
        output[name] = _text(item.get(name), 200)
    return output


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _texts(value: object, limit: int) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v[:limit] for v in value[:MAX_ITEMS] if isinstance(v, str)]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def failed_public_cases(cases: object) -> list[dict[str, Any]]:
    """The failed ones, which the result page details (passed ones are counted)."""
    return [c for c in cases if isinstance(c, dict) and not c.get("passed")] if isinstance(
        cases, list
    ) else []
