"""The grading report: exactly the JSON object of contracts.md section 2.

``parse_report_json`` is the defensive reader the platform worker applies to the output of the
``python -m grader grade --json`` subprocess: it accepts only that shape, with sane sizes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("scored", "failed", "error", "rejected")
# The stable words of ``error.kind`` (the reader accepts any short word, so new kinds can be
# added without breaking an older platform worker).
ERROR_KINDS = (
    "exception",
    "weights",
    "timeout",
    "memory",
    "output_limit",
    "interface",
    "invalid_archive",
    "syntax",
    "nan_output",
    "shape",
    "forbidden",
    "sandbox",
    "crash",
    "too_large",
    "zip_bomb",
    "path_traversal",
    "too_many_files",
    "unsupported_format",
    "missing_entry",
    "protocol",
    "bundle",
    "pretrained",
    "internal",
)
# The closed vocabulary of ``flags`` (the reader accepts any short word, like error kinds).
FLAGS = ("memorisation",)
# Who may read a metric (grader.metric_info declares one per metric in ``metric_info``).
VISIBILITIES = ("public", "after_deadline", "after_reveal", "mentor")
LOG_CAP_BYTES = 16_384
MESSAGE_CAP_CHARS = 500
MAX_REPORT_BYTES = 1 << 20
MAX_CHECKS = 500
# ``public_cases``: each public case of a functions part, its detail computed on the trusted side
# from public values only (grader/kinds/functions/detail.py). Optional; absent when empty.
MAX_PUBLIC_CASES = 100
PUBLIC_CASE_KEYS = frozenset(
    {"check", "case", "passed", "reason", "summary", "inputs", "outputs", "hints"}
)
PUBLIC_OUTPUT_KEYS = frozenset(
    {
        "index",
        "expected",
        "got",
        "max_abs_error",
        "max_rel_error",
        "worst_index",
        "expected_at_worst",
        "got_at_worst",
        "expected_values",
        "got_values",
        "tolerance",
    }
)


@dataclass
class CheckResult:
    name: str
    passed: bool
    points: float
    max_points: float
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "points": round(float(self.points), 6),
            "max_points": float(self.max_points),
            "message": cap_text(self.message, MESSAGE_CAP_CHARS),
        }


@dataclass
class ReportError:
    kind: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": cap_text(self.message, MESSAGE_CAP_CHARS)}


@dataclass
class Report:
    status: str
    score: float | None = None
    checks: list[CheckResult] = field(default_factory=list)
    metrics: dict[str, float | int] = field(default_factory=dict)
    error: ReportError | None = None
    logs: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    # Per metric: label, unit, audience and whether it scores (grader.metric_info); the
    # platform shows each metric only to the audience declared here (threat 38).
    metric_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Words for mentors from FLAGS ("memorisation": the audit saw a memorised public split; the
    # platform holds the rank until a mentor clears it). The key is present only when non-empty.
    flags: list[str] = field(default_factory=list)
    # The hidden stages' output, for mentors only (``GradeOptions.hidden_logs_apart``): it may
    # quote hidden inputs, so it never joins ``logs``. The key is present only when non-empty.
    hidden_logs: str = ""
    # Functions parts: every public case's detail (``MAX_PUBLIC_CASES``); never a hidden one.
    public_cases: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "score": None if self.score is None else round(float(self.score), 4),
            "checks": [c.to_dict() for c in self.checks],
            "metrics": {k: _json_number(v) for k, v in self.metrics.items()},
            "error": self.error.to_dict() if self.error else None,
            "logs": cap_log(self.logs),
            "timings": {k: round(float(v), 4) for k, v in self.timings.items()},
            "metric_info": self.metric_info,
        }
        if self.flags:
            data["flags"] = sorted(set(self.flags))
        if self.hidden_logs:
            data["hidden_logs"] = cap_log(self.hidden_logs)
        if self.public_cases:
            data["public_cases"] = self.public_cases[:MAX_PUBLIC_CASES]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)


def _json_number(value: float) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return float(value) if math.isfinite(value) else None


def cap_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cap_log(text: str, limit: int = LOG_CAP_BYTES) -> str:
    """Keep the head and the tail of a long log: the start shows setup, the end the failure."""
    if len(text) <= limit:
        return text
    half = limit // 2
    dropped = len(text) - 2 * half
    return f"{text[:half]}\n… [{dropped} characters cut] …\n{text[-half:]}"


class ReportFormatError(ValueError):
    """Text that is not a report of contracts.md section 2."""


def parse_report_json(text: str | bytes) -> dict[str, Any]:
    """Validate a report produced by another process; return it as a plain dict."""
    if len(text) > MAX_REPORT_BYTES:
        raise ReportFormatError(f"report is {len(text)} bytes, over {MAX_REPORT_BYTES}")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ReportFormatError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportFormatError("the report must be a JSON object")
    expected = {"status", "score", "checks", "metrics", "error", "logs", "timings"}
    if set(data) - {"flags", "metric_info", "hidden_logs", "public_cases"} != expected:
        raise ReportFormatError(f"keys must be {sorted(expected)}, got {sorted(data)}")
    _validate_flags(data.get("flags", []))  # absent means none
    _validate_public_cases(data.get("public_cases", []))  # absent means none
    _require(data["status"] in STATUSES, f"status {data['status']!r} is not one of {STATUSES}")
    _validate_score(data["score"], data["status"])
    _validate_metric_info(data.get("metric_info", {}))  # absent in older reports
    _validate_checks(data["checks"])
    _validate_number_map(data["metrics"], "metrics", allow_null=True)
    _validate_number_map(data["timings"], "timings", allow_null=False)
    _validate_error(data["error"], data["status"])
    _require(isinstance(data["logs"], str), "logs must be a string")
    _require(len(data["logs"]) <= LOG_CAP_BYTES + 100, "logs are over the cap")
    hidden_logs = data.get("hidden_logs", "")
    _require(isinstance(hidden_logs, str), "hidden_logs must be a string")
    _require(len(hidden_logs) <= LOG_CAP_BYTES + 100, "hidden_logs are over the cap")
    return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ReportFormatError(message)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate_score(score: Any, status: str) -> None:
    if score is None:
        _require(status != "scored", "a scored report needs a score")
        return
    _require(_is_number(score) and 0.0 <= score <= 100.0, f"score {score!r} is not in 0..100")


def _validate_checks(checks: Any) -> None:
    _require(isinstance(checks, list) and len(checks) <= MAX_CHECKS, "checks must be a short list")
    keys = {"name", "passed", "points", "max_points", "message"}
    for check in checks:
        _require(isinstance(check, dict) and set(check) == keys, f"check keys must be {keys}")
        _require(isinstance(check["name"], str) and len(check["name"]) <= 200, "bad check name")
        _require(isinstance(check["passed"], bool), "check passed must be a boolean")
        _require(_is_number(check["points"]) and _is_number(check["max_points"]), "bad points")
        _require(0 <= check["points"] <= check["max_points"] + 1e-9, "points out of range")
        _require(isinstance(check["message"], str), "check message must be a string")
        _require(len(check["message"]) <= MESSAGE_CAP_CHARS, "check message over the cap")


def _validate_number_map(values: Any, name: str, *, allow_null: bool) -> None:
    _require(isinstance(values, dict) and len(values) <= 400, f"{name} must be a small object")
    for key, value in values.items():
        _require(isinstance(key, str) and len(key) <= 100, f"bad {name} key")
        ok = _is_number(value) or (allow_null and value is None)
        _require(ok, f"{name}[{key!r}] must be a number")


def _validate_flags(flags: Any) -> None:
    _require(isinstance(flags, list) and len(flags) <= 10, "flags must be a short list")
    for flag in flags:
        _require(
            isinstance(flag, str) and flag.replace("_", "").isalnum() and len(flag) <= 40,
            "a flag must be a short word",
        )


def _short_text(value: Any, limit: int = MESSAGE_CAP_CHARS) -> bool:
    return isinstance(value, str) and len(value) <= limit


def _validate_public_cases(cases: Any) -> None:
    _require(
        isinstance(cases, list) and len(cases) <= MAX_PUBLIC_CASES,
        "public_cases must be a short list",
    )
    for case in cases:
        _require(
            isinstance(case, dict) and set(case) == PUBLIC_CASE_KEYS,
            f"public case keys must be {sorted(PUBLIC_CASE_KEYS)}",
        )
        _require(_short_text(case["check"], 200), "bad public case check")
        _require(isinstance(case["case"], int) and not isinstance(case["case"], bool), "bad case")
        _require(isinstance(case["passed"], bool), "public case passed must be a boolean")
        _require(_short_text(case["reason"], 40) and _short_text(case["summary"]), "bad summary")
        for name in ("inputs", "hints"):
            items = case[name]
            _require(isinstance(items, list) and len(items) <= 16, f"bad public case {name}")
            _require(all(_short_text(item) for item in items), f"bad public case {name}")
        outputs = case["outputs"]
        _require(isinstance(outputs, list) and len(outputs) <= 8, "bad public case outputs")
        for out in outputs:
            _validate_public_output(out)


def _validate_public_output(out: Any) -> None:
    _require(
        isinstance(out, dict) and set(out) == PUBLIC_OUTPUT_KEYS,
        f"public output keys must be {sorted(PUBLIC_OUTPUT_KEYS)}",
    )
    _require(isinstance(out["index"], int) and not isinstance(out["index"], bool), "bad index")
    for name in ("expected", "got", "expected_at_worst", "got_at_worst", "tolerance"):
        _require(_short_text(out[name], 200), f"bad public output {name}")
    for name in ("max_abs_error", "max_rel_error"):
        _require(out[name] is None or _is_number(out[name]), f"bad public output {name}")
    worst = out["worst_index"]
    _require(
        worst is None
        or (isinstance(worst, list) and len(worst) <= 8 and all(isinstance(i, int) for i in worst)),
        "bad public output worst_index",
    )
    for name in ("expected_values", "got_values"):
        values = out[name]
        _require(isinstance(values, list) and len(values) <= 16, f"bad public output {name}")
        _require(all(_short_text(v, 40) for v in values), f"bad public output {name}")


def _validate_metric_info(info: Any) -> None:
    _require(isinstance(info, dict) and len(info) <= 400, "metric_info must be a small object")
    keys = {"label", "unit", "visibility", "scored"}
    for key, item in info.items():
        _require(isinstance(key, str) and len(key) <= 100, "bad metric_info key")
        _require(isinstance(item, dict) and set(item) == keys, f"metric_info keys must be {keys}")
        _require(item["visibility"] in VISIBILITIES, f"bad visibility {item['visibility']!r}")
        _require(isinstance(item["scored"], bool), "metric_info scored must be a boolean")
        for name in ("label", "unit"):
            _require(isinstance(item[name], str) and len(item[name]) <= 100, f"bad {name}")


def _validate_error(error: Any, status: str) -> None:
    if error is None:
        _require(status == "scored", f"a {status} report needs an error")
        return
    _require(isinstance(error, dict) and set(error) == {"kind", "message"}, "bad error object")
    kind, message = error["kind"], error["message"]
    _require(
        isinstance(kind, str) and kind.replace("_", "").isalnum() and len(kind) <= 40,
        "error kind must be a short word",
    )
    _require(isinstance(message, str) and len(message) <= MESSAGE_CAP_CHARS, "bad error message")
