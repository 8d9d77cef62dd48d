"""Threat 36 (issue 11, classes 2 and 3): a hidden set drawn from public data cannot be looked up,
and speed cannot be bought with a cache.

Real gradings through both sandbox backends: lookup models that carry scikit-learn's public digits
with their labels against week 2's secret-derived hidden set, and a cache keyed on rounded pixels
against the fixture model bundle's timer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from arena_datasets.real import sklearn_digits
from grader.grading import GradeOptions, grade
from grader.report import Report

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
BUNDLES = HERE.parent / "bundles"
WEEK2 = "week2-neural-nets"


def lookup_upload(name: str, folder: Path) -> Path:
    """The attack as a mentee would upload it: the code and the public digits as its weights."""
    images, labels = sklearn_digits()
    upload = folder / "upload"
    upload.mkdir()
    shutil.copy(SUBMISSIONS / f"{name}.py", upload / "submission.py")
    table = torch.from_numpy(np.asarray(images, np.float32).reshape(len(images), 64))
    save_file({"table": table, "answers": torch.from_numpy(np.asarray(labels, np.int64))},
              str(upload / "logreg.safetensors"))
    return upload


def logreg(report: Report, metric: str) -> float:
    return float(report.metrics[f"logreg/{metric}"])


def audit_log(report: Report) -> str:
    return next(line for line in report.logs.splitlines() if line.startswith("[audit]"))


@pytest.mark.slow
def test_an_exact_lookup_of_the_public_digits_scores_at_chance_and_is_flagged(
    sandbox, tmp_path: Path
) -> None:
    report = grade(WEEK2, lookup_upload("lookup_exact_table", tmp_path),
                   GradeOptions(sandbox=sandbox.name, show_hidden_logs=True))
    assert report.status in ("scored", "failed"), report.to_dict()
    # Not one secret digit matches a public one: every answer is the miss class (0), ~10 %.
    assert logreg(report, "accuracy") < 0.2 and logreg(report, "private_accuracy") < 0.2
    # The audit asked about the untransformed originals too: those it knows, all of them.
    assert logreg(report, "memorisation_gap") > 0.75, audit_log(report)
    assert report.to_dict()["flags"] == ["memorisation"], audit_log(report)
    assert "FLAGGED" in audit_log(report)


@pytest.mark.slow
def test_a_nearest_neighbour_lookup_is_flagged_for_its_implausible_accuracy(
    sandbox, tmp_path: Path
) -> None:
    """The light transforms keep the reference's accuracy, so a nearest-neighbour search still
    finds most source digits; the audit's ceiling flags what no model of the week reaches."""
    report = grade(WEEK2, lookup_upload("lookup_nearest", tmp_path),
                   GradeOptions(sandbox=sandbox.name, show_hidden_logs=True))
    assert report.status in ("scored", "failed"), report.to_dict()
    assert logreg(report, "accuracy") > 0.99, audit_log(report)
    assert report.to_dict()["flags"] == ["memorisation"], audit_log(report)


@pytest.mark.slow
def test_the_reference_solution_is_not_flagged(sandbox) -> None:
    solution = Path(__file__).resolve().parents[3] / "assignments" / WEEK2 / "solution"
    report = grade(WEEK2, solution, GradeOptions(sandbox=sandbox.name, show_hidden_logs=True))
    assert report.score == 100.0, report.to_dict()
    assert "flags" not in report.to_dict(), audit_log(report)
    assert abs(logreg(report, "memorisation_gap")) < 0.06


@pytest.mark.slow
def test_a_cache_keyed_on_rounded_pixels_gains_no_throughput(
    grade_with, tmp_path: Path
) -> None:
    """Re-sent inputs are fresh label-preserving variants, not 1e-4 perturbations: the rounded
    key misses on every timed query (the model sleeps 30 ms a miss: at most ~1,070 images/s for
    a batch of 32), and the exact repeats that do hit are caught against their controls."""
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(SUBMISSIONS / "lookup_rounded_cache.py", upload / "submission.py")
    shutil.copy(BUNDLES / "fx-model" / "solution" / "model.safetensors", upload)
    report = grade_with("fx-model", upload, show_hidden_logs=True)
    assert report.status == "scored", report.to_dict()
    assert float(report.metrics["throughput_ips"]) < 32 / 0.03 * 1.15, report.metrics
    speed = next(c for c in report.checks if c.name.endswith("/speed"))
    assert speed.points == 0.0 and "cached" in speed.message, speed
