"""Week 1 compared exactly as the bundle says (issue 11, class 10): constant ``True`` outputs
once earned 60/100 by truthiness, and a one-hot of another dtype class passed; since issue 12
every check compares the dtype exactly, as the statement names it. Each wrapper below keeps the
solution's values and changes only what the comparison must not forgive."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.vocabulary import in_vocabulary
from tests.assignments.conftest import bundle_dir, describe, grade_bundle

SLUG = "week1-tensors"
pytestmark = [pytest.mark.slow, pytest.mark.bwrap]
FUNCTIONS = ("normalize_per_channel", "one_hot", "batched_matmul", "im2col", "topk_accuracy")
WRAP = '''

def _wrapped(function, change):
    def call(*args, **kwargs):
        return change(function(*args, **kwargs))
    return call


for _name in {names}:
    if {only} in (None, _name):
        globals()[_name] = _wrapped(globals()[_name], {change})
'''


def upload(tmp_path: Path, change: str, only: str | None = None) -> Path:
    """The solution with every function's (or one function's) result passed through change."""
    source = (bundle_dir(SLUG) / "solution" / "submission.py").read_text()
    target = tmp_path / "submission.py"
    target.write_text(source + WRAP.format(names=FUNCTIONS, only=repr(only), change=change))
    return target


def points(report: dict) -> dict[str, float]:
    return {c["name"]: c["points"] for c in report["checks"]}


def test_constant_true_outputs_earn_nothing(tmp_path: Path) -> None:
    report = grade_bundle(SLUG, upload(tmp_path, "lambda r: torch.ones_like(r, dtype=torch.bool)"))
    assert report["status"] == "scored" and report["score"] == 0.0, describe(report)
    assert all(in_vocabulary(c["message"]) for c in report["checks"]), describe(report)


@pytest.mark.parametrize("dtype", ["torch.int64", "torch.bool"])
def test_a_one_hot_of_another_dtype_class_loses_exactly_its_points(
    tmp_path: Path, dtype: str
) -> None:
    report = grade_bundle(SLUG, upload(tmp_path, f"lambda r: r.to({dtype})", only="one_hot"))
    assert report["status"] == "scored", describe(report)
    assert points(report)["one_hot"] == 0.0 and report["score"] == 85.0, describe(report)
    one_hot = next(c for c in report["checks"] if c["name"] == "one_hot")
    assert one_hot["message"] == "a hidden case's result has the wrong dtype"


def test_the_same_values_in_another_float_dtype_lose_exactly_their_points(tmp_path: Path) -> None:
    # The statement names every result's dtype (issue 12: a float32-always normalisation once
    # got full marks): week 1 checks dtype = "exact", so float64 for float32 is a wrong answer.
    report = grade_bundle(SLUG, upload(tmp_path, "lambda r: r.double()", only="batched_matmul"))
    assert points(report)["batched_matmul"] == 0.0 and report["score"] == 80.0, describe(report)
    check = next(c for c in report["checks"] if c["name"] == "batched_matmul")
    assert check["message"] == "a hidden case's result has the wrong dtype"
    hints = [h for c in report["public_cases"] if not c["passed"] for h in c["hints"]]
    assert any("inputs' dtype" in h for h in hints), report["public_cases"]
