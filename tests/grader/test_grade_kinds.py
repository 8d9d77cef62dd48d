"""grade() end to end in bubblewrap, one fixture bundle per part kind: the solution earns
everything, a known-wrong submission loses exactly the checks it names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.report import parse_report_json

BUNDLES = Path(__file__).resolve().parent / "bundles"
pytestmark = [pytest.mark.slow, pytest.mark.bwrap]


def solution(slug: str) -> Path:
    return BUNDLES / slug / "solution"


def assert_valid_report(report) -> None:
    parse_report_json(json.dumps(report.to_dict()))
    assert report.timings["total_s"] > 0 and "sandbox_start_s" in report.timings


def test_it_grades_functions_with_public_logs(grade_bwrap) -> None:
    report = grade_bwrap("fx-functions", solution("fx-functions"))
    assert (report.status, report.score) == ("scored", 100.0)
    assert "[public] add case 0: ok" in report.logs
    assert "hidden stage output" not in report.logs
    assert_valid_report(report)


def test_a_wrong_function_loses_only_its_points(grade_bwrap) -> None:
    report = grade_bwrap("fx-functions", BUNDLES / "fx-functions/wrong/scale_squared.py")
    assert report.status == "scored" and report.score == 70.0
    assert [c.name for c in report.checks if not c.passed] == ["scale"]
    assert "values differ" in next(c for c in report.checks if c.name == "scale").message


def test_it_grades_a_model_with_the_trusted_timer(grade_bwrap) -> None:
    report = grade_bwrap("fx-model", solution("fx-model"))
    assert report.status == "scored", report.to_dict()
    m = report.metrics
    assert m["accuracy"] == 1.0 and m["params"] == 130 and m["macs"] == 128  # trusted counts
    assert m["throughput_ips"] > 0 and 0 < m["latency_p50_ms"] <= m["latency_p90_ms"]
    assert m["timed_queries"] >= 12 and m["timed_images"] >= 512
    assert report.score == pytest.approx(
        70 + next(c.points for c in report.checks if c.name == "halves/speed")
    )
    assert_valid_report(report)


def test_a_model_without_its_weights_fails_with_a_sentence(grade_bwrap, tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(solution("fx-model") / "submission.py", upload)
    report = grade_bwrap("fx-model", upload)
    assert (report.status, report.error.kind) == ("failed", "weights")
    assert report.score == 0.0


def test_it_trains_in_the_sandbox_then_scores(grade_bwrap) -> None:
    report = grade_bwrap("fx-train", solution("fx-train"))
    assert report.status == "scored", report.to_dict()
    assert report.metrics["accuracy"] >= 0.9 and report.score == 100.0
    assert "public examples classified right" in report.logs
    assert report.timings["train_stage_s"] > 0


def test_it_proves_an_architecture_equivalent(grade_bwrap) -> None:
    report = grade_bwrap("fx-arch", solution("fx-arch"))
    assert (report.status, report.score) == ("scored", 100.0), report.to_dict()
    assert "[public] simple_cnn_w4: the reference weights fit" in report.logs


def test_a_missing_relu_breaks_equivalence(grade_bwrap) -> None:
    report = grade_bwrap("fx-arch", BUNDLES / "fx-arch/wrong/no_relu.py")
    assert report.status == "scored" and report.score == 0.0
    assert all("outputs differ" in c.message for c in report.checks)


def test_hidden_logs_reach_mentors_when_asked(grade_bwrap, tmp_path: Path) -> None:
    # That a mentee never sees them is the attack suite's print_hidden case.
    chatty = tmp_path / "submission.py"
    chatty.write_text(
        "def add(a, b):\n    print('CHATTY', flush=True)\n    return a + b\n"
        "def scale(x, f):\n    return x * f\n"
        "def row_sums(m):\n    return m.sum(axis=1)\n"
    )
    report = grade_bwrap("fx-functions", chatty, show_hidden_logs=True)
    assert "hidden stage output" in report.logs
    assert report.logs.count("CHATTY") == 1 + 4  # the public case, then the hidden ones
