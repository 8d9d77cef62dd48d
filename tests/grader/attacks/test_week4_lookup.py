"""Threat 36 for week 4's comparison: its 500 hidden test images are public Fashion-MNIST items
chosen by the bundle's public seed, so a model's own forward could answer them from a table
of the test split's pixel hashes. Each is shown through the deployment secret's transform, and
the memorisation audit asks about their originals: the lookup misses every secret image, earns
no accuracy, and is flagged for what it knew of the originals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from arena_datasets.real import fashion_mnist
from grader.grading import GradeOptions, grade
from tests.assignments.test_week4_architectures import parts_bundle

ROOT = Path(__file__).resolve().parents[3]
SUFFIX = Path(__file__).resolve().parent / "submissions" / "week4_lookup_suffix.py"


def lookup_upload(folder: Path) -> Path:
    """Week 4's solution with the lookup appended, and the table built from the public data."""
    images, labels = fashion_mnist("test")
    table = {hashlib.sha1(np.ascontiguousarray(image[None]).tobytes()).hexdigest()[:12]: int(y)
             for image, y in zip(images, labels)}
    upload = folder / "upload"
    upload.mkdir()
    solution = (ROOT / "assignments" / "week4-architectures" / "solution" / "submission.py")
    (upload / "submission.py").write_text(solution.read_text() + "\n" + SUFFIX.read_text())
    (upload / "lookup_table.py").write_text(f"TABLE = {table!r}\n")
    return upload


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_lookup_of_the_public_test_split_gains_nothing_and_is_flagged(tmp_path: Path) -> None:
    bundle = parts_bundle(tmp_path / "bundle", ("train_alexnet",))
    report = grade(bundle, lookup_upload(tmp_path), GradeOptions(sandbox="bwrap",
                                                                   show_hidden_logs=True))
    found = report.to_dict()
    assert report.status == "scored", found
    audit = next(line for line in report.logs.splitlines() if line.startswith("[audit]"))
    # No secret image is a public one: the accuracy is the honestly trained AlexNet's (0.2-0.45).
    assert report.metrics["accuracy"] < 0.6, audit
    # The originals it knows, all of them: the gap shows the lookup, and the run is held.
    assert report.metrics["memorisation_gap"] > 0.4, audit
    assert found["flags"] == ["memorisation"], audit
