"""Bonus bundle (find the face): recipe, real grading of the solution and of the known-wrong
uploads, and the public tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    load_arrays,
    run_public_tests,
)

SLUG = "bonus-faces"
WEIGHTS = "face.safetensors"


def test_the_bundle_is_valid_and_worth_100_points():
    bundle = load_bundle(SLUG)
    assert bundle.max_points == pytest.approx(100.0)
    assert [p.name for p in bundle.parts] == ["detect", "localize"]


def test_the_recipe_is_deterministic_half_empty_and_keeps_boxes_out_of_inputs(tmp_path):
    first = build_hidden_data(SLUG, tmp_path / "a")
    assert_same_arrays(first, build_hidden_data(SLUG, tmp_path / "b"))
    detect = load_arrays(first / "detect" / "labels.npz")
    assert set(load_arrays(first / "detect" / "inputs.npz")) == {"images"}
    assert 0.4 < detect["labels"].mean() < 0.6
    assert np.all(detect["boxes"][detect["labels"] == 0] == 0)
    localize = load_arrays(first / "localize" / "labels.npz")
    assert np.all(localize["labels"] == 1)
    sides = localize["boxes"][:, 2:] - localize["boxes"][:, :2]
    assert sides.min() >= 17 and sides.max() <= 36


def test_the_committed_weights_stay_small():
    assert (bundle_dir(SLUG) / "solution" / WEIGHTS).stat().st_size < 3 * 1024 * 1024


def with_solution_weights(upload: Path, tmp_path: Path) -> Path:
    folder = tmp_path / upload.name
    shutil.copytree(upload, folder)
    shutil.copy(bundle_dir(SLUG) / "solution" / WEIGHTS, folder / WEIGHTS)
    return folder


@pytest.mark.slow
def test_the_public_tests_pass_on_the_solution_and_fail_on_the_starter_and_wrong_formats(tmp_path):
    passed = run_public_tests(SLUG, bundle_dir(SLUG) / "solution")
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert run_public_tests(SLUG, bundle_dir(SLUG) / "starter").returncode != 0
    for bug in ("boxes_normalized", "classes_swapped"):
        folder = with_solution_weights(bundle_dir(SLUG) / "wrong" / bug, tmp_path)
        assert run_public_tests(SLUG, folder).returncode != 0, bug
