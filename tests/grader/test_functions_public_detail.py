"""Public cases teach, hidden cases stay closed (issue 12): a failed public case's detail names
the inputs, expected against got, the worst element and the bundle's hints; the report carries
it in ``public_cases``; a failure on hidden cases alone says one vocabulary sentence and no
value of a hidden case appears anywhere in the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from grader.kinds.functions.detail import case_detail, describe_inputs, output_detail
from grader.report import Report, ReportFormatError, parse_report_json
from grader.vocabulary import CASE_REASONS, in_vocabulary
from tests.assignments.conftest import bundle_dir, describe, grade_bundle

SLUG = "week1-tensors"


def test_output_detail_names_the_worst_element_and_the_errors() -> None:
    want = np.zeros((2, 3), np.float32)
    got = want.copy()
    got[1, 2] = 0.5
    got[0, 0] = 0.25
    detail = output_detail(0, got, want, 1e-5, 1e-5)
    assert detail["worst_index"] == [1, 2]
    assert detail["expected_at_worst"] == "0" and detail["got_at_worst"] == "0.5"
    assert detail["max_abs_error"] == pytest.approx(0.5)
    assert detail["expected"] == "float32 [2, 3]" and detail["got_values"][0] == "0.25"


def test_output_detail_of_nan_and_of_another_shape() -> None:
    want = np.ones(4, np.float32)
    got = want.copy()
    got[2] = np.nan
    detail = output_detail(0, got, want, 1e-5, 1e-6)
    assert detail["worst_index"] == [2] and detail["got_at_worst"] == "nan"
    assert detail["max_abs_error"] is None  # infinite: JSON has no word for it
    other = output_detail(0, np.ones((2, 2), np.float64), want, 1e-5, 1e-6)
    assert other["got"] == "float64 [2, 2]" and other["worst_index"] is None


def test_inputs_show_shapes_and_scalars() -> None:
    lines = describe_inputs([("arg 0", np.zeros((8, 10), np.float32), False),
                             ("arg 1", np.asarray(3), True)])
    assert lines == ["arg 0: float32 [8, 10]", "arg 1 = 3"]


def _sample_case() -> dict:
    want = np.arange(6, dtype=np.float32).reshape(2, 3)
    return case_detail(
        check="one_hot", case=0, verdict="values", inputs=["arg 0: int64 [2]"],
        outputs=[output_detail(0, want + 1, want, 0.0, 0.0)], hints=["try .float()"],
    )


def test_the_report_carries_public_cases_and_the_reader_checks_them() -> None:
    report = Report("scored", score=50.0, public_cases=[_sample_case()])
    data = parse_report_json(report.to_json())
    assert data["public_cases"][0]["outputs"][0]["got_at_worst"] == "1"
    assert "public_cases" not in Report("scored", score=1.0).to_dict()  # absent when empty
    for broken in (
        {**_sample_case(), "secret": 1},
        {**_sample_case(), "inputs": "not a list"},
        {**_sample_case(), "outputs": [{"index": 0}]},
        {**_sample_case(), "hints": ["x" * 501]},
    ):
        text = json.dumps({**report.to_dict(), "public_cases": [broken]})
        with pytest.raises(ReportFormatError):
            parse_report_json(text)
    with pytest.raises(ReportFormatError):
        parse_report_json(json.dumps({**report.to_dict(), "public_cases": [_sample_case()] * 101}))


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_failed_public_case_names_expected_got_and_the_hint() -> None:
    report = grade_bundle(SLUG, bundle_dir(SLUG) / "wrong" / "unbiased_variance.py")
    failed = [c for c in report["public_cases"] if not c["passed"]]
    assert failed and {c["check"] for c in failed} == {"normalize_per_channel"}, describe(report)
    first = failed[0]
    assert first["inputs"] == ["arg 0: float32 [1, 3, 5, 7]"]
    output = first["outputs"][0]
    assert output["expected"] == output["got"] == "float32 [1, 3, 5, 7]"
    assert output["worst_index"] is not None and output["max_abs_error"] > 1e-3
    assert output["expected_at_worst"] != output["got_at_worst"]
    assert any("sqrt((n-1)/n)" in hint for hint in first["hints"]), first
    assert "hint: every value is smaller by sqrt((n-1)/n)" in report["logs"]
    check = next(c for c in report["checks"] if c["name"] == "normalize_per_channel")
    assert check["message"] == CASE_REASONS["values"]
    passed = [c for c in report["public_cases"] if c["passed"]]
    assert passed and all(not c["outputs"] and not c["hints"] for c in passed)


HIDDEN_ONLY = '''

_right = normalize_per_channel


def normalize_per_channel(images):
    # Wrong only for a batch of 8: a shape only the hidden cases hold.
    result = _right(images)
    return result * 1.5 if images.shape[0] == 8 else result
'''


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_failure_on_hidden_cases_only_says_a_sentence_and_no_value(tmp_path: Path) -> None:
    source = (bundle_dir(SLUG) / "solution" / "submission.py").read_text() + HIDDEN_ONLY
    (tmp_path / "submission.py").write_text(source)
    report = grade_bundle(SLUG, tmp_path / "submission.py")
    assert report["status"] == "scored" and report["score"] == 80.0, describe(report)
    check = next(c for c in report["checks"] if c["name"] == "normalize_per_channel")
    assert check["message"] == CASE_REASONS["values"] and in_vocabulary(check["message"])
    # Every public case passed, so nothing anywhere describes a difference...
    assert all(c["passed"] for c in report["public_cases"]), report["public_cases"]
    text = json.dumps(report)
    for word in ("worst", "max abs error", "hint:", "[8, 3, 16, 16]"):
        assert word not in text, word
    # ...and no hidden case's input shape is named (the public ones are other shapes).
    shown = {line for c in report["public_cases"] for line in c["inputs"]}
    assert "arg 0: float32 [8, 3, 16, 16]" not in shown
