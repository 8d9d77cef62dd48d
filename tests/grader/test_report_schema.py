"""The report of contracts.md section 2, and the worker's defensive reader of it."""

from __future__ import annotations

import json

import pytest

from grader.report import (
    ERROR_KINDS,
    LOG_CAP_BYTES,
    CheckResult,
    Report,
    ReportError,
    ReportFormatError,
    parse_report_json,
)


def scored() -> Report:
    return Report(
        "scored",
        87.5,
        [CheckResult("add", True, 87.5, 100.0, "ok")],
        {"accuracy": 0.9, "params": 130},
        None,
        "hello",
        {"sandbox_start_s": 0.1, "total_s": 2.0},
    )


def test_it_has_exactly_the_contract_keys() -> None:
    data = scored().to_dict()
    # metric_info (grader.metric_info) is an extension of contracts.md section 2.
    assert list(data) == [
        "status", "score", "checks", "metrics", "error", "logs", "timings", "metric_info"
    ]
    assert list(data["checks"][0]) == ["name", "passed", "points", "max_points", "message"]


def test_the_reader_accepts_what_the_grader_writes() -> None:
    for report in (scored(), Report("rejected", error=ReportError("syntax", "Fix line 3."))):
        assert parse_report_json(report.to_json()) == json.loads(report.to_json())


def test_logs_are_capped_head_and_tail() -> None:
    logs = Report("scored", 0.0, logs="a" * 100_000 + "THE END").to_dict()["logs"]
    assert len(logs) <= LOG_CAP_BYTES + 100 and logs.endswith("THE END")


def test_non_finite_metrics_become_null() -> None:
    assert Report("scored", 1.0, metrics={"x": float("nan")}).to_dict()["metrics"] == {"x": None}


def mutate(change) -> str:
    data = scored().to_dict()
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"status": "scored"}',
        mutate(lambda d: d.update(status="pwned")),
        mutate(lambda d: d.update(score=101)),
        mutate(lambda d: d.update(score=None)),
        mutate(lambda d: d.update(score=True)),
        mutate(lambda d: d.update(extra=1)),
        mutate(lambda d: d.update(checks={"a": 1})),
        mutate(lambda d: d["checks"][0].update(points=500)),
        mutate(lambda d: d["checks"][0].update(passed="yes")),
        mutate(lambda d: d["metrics"].update(evil="1")),
        mutate(lambda d: d["timings"].update(total_s=None)),
        mutate(lambda d: d.update(status="failed")),  # failed needs an error
        mutate(lambda d: d.update(error={"kind": "x y;", "message": ""})),
        mutate(lambda d: d.update(logs="x" * (LOG_CAP_BYTES + 1000))),
        '{"status": "scored", "score": NaN}',
        "[" * 100_000,
        " " * (2 << 20),
    ],
    ids=lambda t: t[:30] if isinstance(t, str) else "case",
)
def test_the_reader_rejects_anything_else(text: str) -> None:
    with pytest.raises(ReportFormatError):
        parse_report_json(text)


def test_a_missing_pretrained_backbone_has_its_error_kind() -> None:
    # grader.stages.session ends a part whose declared backbones cannot be staged with this kind.
    assert "pretrained" in ERROR_KINDS
    report = Report("error", 0.0, [], {}, ReportError("pretrained", "not staged"), "", {})
    assert parse_report_json(report.to_json())["error"]["kind"] == "pretrained"
