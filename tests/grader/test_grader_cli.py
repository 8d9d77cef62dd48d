"""python -m grader: contracts.md section 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import summary
from grader.report import CheckResult, Report, parse_report_json

REPO = Path(__file__).resolve().parents[2]
BUNDLES = Path(__file__).resolve().parent / "bundles"


def grader(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ARENA_ASSIGNMENTS": str(BUNDLES), "ARENA_HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_it_lists_the_bundles_as_json(tmp_path: Path) -> None:
    result = grader("list", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {b["slug"]: b for b in json.loads(result.stdout)}
    assert listed["fx-model"] == {
        "slug": "fx-model",
        "week": 3,
        "title": "Fixture: model with speed points",
        "kind": "model",
    }


def test_an_unknown_assignment_is_a_grader_error(tmp_path: Path) -> None:
    result = grader(
        "grade", "--assignment", "nope", "--submission", __file__, "--json", home=tmp_path
    )
    # A missing bundle is permanent: running again cannot help (the platform does not retry).
    assert result.returncode == 3 and "no assignment bundle named 'nope'" in result.stderr


def test_a_rejected_upload_still_exits_zero(tmp_path: Path) -> None:
    upload = tmp_path / "upload.zip"
    upload.write_bytes(b"this is not a zip file")
    result = grader(
        "grade",
        "--assignment",
        "fx-functions",
        "--submission",
        str(upload),
        "--json",
        "--sandbox",
        "bwrap",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = parse_report_json(result.stdout)
    assert report["status"] == "rejected" and report["error"]["kind"] == "invalid_archive"


@pytest.mark.slow
@pytest.mark.bwrap
def test_it_grades_and_prints_one_json_report(tmp_path: Path) -> None:
    result = grader(
        "grade",
        "--assignment",
        "fx-functions",
        "--submission",
        str(BUNDLES / "fx-functions/solution/submission.py"),
        "--json",
        home=tmp_path,
        ARENA_SANDBOX="bwrap",
    )
    assert result.returncode == 0, result.stderr
    report = parse_report_json(result.stdout)
    assert (report["status"], report["score"]) == ("scored", 100.0)


def test_without_json_it_prints_a_summary() -> None:
    report = Report(
        "scored",
        70.0,
        [CheckResult("scale", False, 0.0, 30.0, "values differ")],
        {"accuracy": 0.5, "params": 12},
        None,
        "[public] ok",
        {"total_s": 1.5},
    )
    text = summary(report)
    assert text.startswith("status: scored   score: 70.00 / 100")
    assert "[FAIL] scale" in text and "params" in text and "[public] ok" in text
