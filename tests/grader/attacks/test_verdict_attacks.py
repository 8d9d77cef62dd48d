"""Threats 38 and 39 through grade() on both backends.

The sandbox cannot choose its own verdict: a forged "grader bug" or "syntax error" reply ends
``failed`` with no hidden result, never a refunded ``error`` or ``rejected``. It cannot read
hidden inputs back either: latencies steered by a hidden pixel are rounded and declared
after the deadline, and a parameter count steered by hidden images shows only fixed sentences.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from grader.metric_info import is_timing, round_sig
from grader.report import parse_report_json
from grader.vocabulary import NOT_GRADED, in_vocabulary

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
BUNDLES = HERE.parent / "bundles"


@pytest.mark.parametrize("attack", ["verdict_forged_internal", "verdict_forged_syntax"])
def test_a_forged_verdict_is_a_failure_with_no_hidden_result(grade_with, attack: str) -> None:
    report = grade_with("fx-attacks", SUBMISSIONS / f"{attack}.py")
    parse_report_json(json.dumps(report.to_dict()))
    assert report.status == "failed", report.to_dict()
    assert report.error is not None and report.error.kind == "protocol"
    assert report.score == 0.0 and report.metrics == {}
    assert report.checks and all(
        (c.passed, c.points, c.message) == (False, 0.0, NOT_GRADED) for c in report.checks
    )
    assert sum(c.max_points for c in report.checks) == 100.0


def test_latency_steered_by_a_hidden_pixel_is_rounded_and_held_back(
    grade_with, tmp_path: Path
) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(SUBMISSIONS / "vocab_sleep_by_pixel.py", upload / "submission.py")
    shutil.copy(BUNDLES / "fx-model" / "solution" / "model.safetensors", upload)
    report = grade_with("fx-model", upload)
    assert report.status == "scored", report.to_dict()
    timing = {k: v for k, v in report.metrics.items() if is_timing(k)}
    assert {"latency_p50_ms", "latency_p90_ms", "throughput_ips"} <= set(timing)
    for key, value in timing.items():
        assert value == round_sig(value), (key, value)  # two significant digits at most
        assert report.metric_info[key]["visibility"] == "after_deadline"
    assert report.metrics["latency_p50_ms"] >= 20  # it did sleep by the pixel
    speed = next(c for c in report.checks if c.name.endswith("/speed"))
    assert in_vocabulary(speed.message) and "2 significant digits" in speed.message


def test_a_parameter_count_steered_by_hidden_images_shows_only_fixed_sentences(
    grade_with,
) -> None:
    report = grade_with("fx-arch", SUBMISSIONS / "vocab_param_count.py")
    assert report.status == "scored", report.to_dict()
    assert [c.passed for c in report.checks] == [True, False], report.to_dict()
    for check in report.checks:
        assert in_vocabulary(check.message), check.message
        assert not re.search(r"\d", check.message), check.message
