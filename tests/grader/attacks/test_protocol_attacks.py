"""Threat 42 through grade() on both backends: what the sandbox hands back cannot crash the
trusted side. A shrunk shared-memory file, an overflowing shapes table, boolean logits and
forged descriptors (unknown dtypes, absurd shapes) each end ``failed`` with a report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.report import Report, parse_report_json

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
BUNDLES = HERE.parent / "bundles"


def model_upload(source: str, folder: Path) -> Path:
    """An fx-model upload: the hostile source as submission.py, with the real weights."""
    upload = folder / "upload"
    upload.mkdir()
    (upload / "submission.py").write_text(source)
    shutil.copy(BUNDLES / "fx-model" / "solution" / "model.safetensors", upload)
    return upload


def assert_protocol_failure(report: Report, kinds: tuple[str, ...] = ("protocol",)) -> None:
    parse_report_json(json.dumps(report.to_dict()))  # a whole, valid report came back
    assert report.status == "failed", report.to_dict()
    assert report.error is not None and report.error.kind in kinds, report.to_dict()
    assert report.score == 0.0 and report.metrics == {}
    assert all(not check.passed and check.points == 0.0 for check in report.checks)
    assert sum(check.max_points for check in report.checks) == 100.0  # what it was worth


def test_a_shrunk_shared_memory_file_is_a_protocol_failure(grade_with, tmp_path: Path) -> None:
    source = (SUBMISSIONS / "protocol_truncate_shm.py").read_text()
    report = grade_with("fx-model", model_upload(source, tmp_path))
    assert_protocol_failure(report)
    assert "interfered with the grader's channel" in report.error.message


def test_boolean_logits_are_a_protocol_failure(grade_with, tmp_path: Path) -> None:
    source = (SUBMISSIONS / "protocol_bool_logits.py").read_text()
    report = grade_with("fx-model", model_upload(source, tmp_path))
    assert_protocol_failure(report)
    assert "dtype" in report.error.message


@pytest.mark.parametrize("forge", ["complex", "object", "absurd_shape"])
def test_a_forged_descriptor_is_a_protocol_failure(
    grade_with, tmp_path: Path, forge: str
) -> None:
    template = (SUBMISSIONS / "protocol_forged_descriptor.py").read_text()
    source = template.replace('FORGE = "complex"', f"FORGE = {forge!r}")
    report = grade_with("fx-model", model_upload(source, tmp_path))
    assert_protocol_failure(report)


def test_an_overflowing_trained_state_table_is_a_protocol_failure(grade_with) -> None:
    report = grade_with("fx-train", SUBMISSIONS / "protocol_overflow_table.py")
    assert_protocol_failure(report)
