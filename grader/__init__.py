"""The grader: safe intake, sandboxed harness, trusted timer, scoring and the report.

    from grader import grade, GradeOptions
    report = grade("week1-tensors", Path("submission.zip"), GradeOptions(sandbox="bwrap"))
    report.to_dict()

Names are loaded on first use, so ``from grader.report import parse_report_json`` (the
platform's side) does not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "grade": "grader.grading",
    "GradeOptions": "grader.grading",
    "Report": "grader.report",
    "parse_report_json": "grader.report",
    "list_bundles": "grader.bundle",
    "load_bundle": "grader.bundle",
    "Bundle": "grader.bundle",
}
__all__ = [
    "Bundle",
    "GradeOptions",
    "Report",
    "grade",
    "list_bundles",
    "load_bundle",
    "parse_report_json",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
