"""Week 5 bundle: recipe and shipped data, the reference weights, real grading of the
solution and the known-wrong uploads, and the public tests."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    REPO_ROOT,
    WrongCase,
    assert_full_marks,
    assert_loses_exactly,
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    grade_bundle,
    load_arrays,
    load_recipe,
    run_public_tests,
    wrong_params,
    zip_solution,
)
from tests.assignments.week5_home import week5_home

SLUG = "week5-transfer"
WEIGHTS = ("classifier.safetensors", "localizer.safetensors")
# `weights_from = "solution"` brings the solution's weights and its pretrained.py helper.
FROM_SOLUTION = (*WEIGHTS, "pretrained.py")


@pytest.fixture
def backbones(monkeypatch) -> Path:
    """The ARENA_HOME holding both declared backbones (``make setup`` installs them)."""
    home = week5_home()
    monkeypatch.setenv("ARENA_HOME", str(home))
    return home


def test_the_bundle_is_valid_and_worth_100_points():
    bundle = load_bundle(SLUG)
    assert bundle.max_points == pytest.approx(100.0)
    assert [(p.name, p.builder) for p in bundle.parts] == [
        ("digits", "build_classifier"), ("localize", "build_localizer"), ("boxes", "build_localizer")]


def test_the_starter_ships_the_recipes_training_digits_and_the_real_generator():
    images, labels, _ = load_recipe(SLUG).training_digits()
    shipped = load_arrays(bundle_dir(SLUG) / "starter" / "train_digits.npz")
    np.testing.assert_array_equal(shipped["images"], images)
    np.testing.assert_array_equal(shipped["labels"], labels)
    assert np.bincount(labels).tolist() == [10] * 10
    assert labels[:10].tolist() != sorted(labels[:10].tolist()), "the file must be shuffled"
    generator = (REPO_ROOT / "arena_datasets" / "localization.py").read_bytes()
    assert (bundle_dir(SLUG) / "starter" / "canvases.py").read_bytes() == generator


def test_the_recipe_is_deterministic_and_keeps_training_digits_out_of_the_test(tmp_path):
    first = build_hidden_data(SLUG, tmp_path / "a")
    assert_same_arrays(first, build_hidden_data(SLUG, tmp_path / "b"))
    train_images, _, _ = load_recipe(SLUG).training_digits()
    hidden = load_arrays(first / "digits" / "inputs.npz")["images"]
    assert hidden.shape == (1000, 1, 28, 28) and hidden.dtype == np.float32
    seen = {(image.astype(np.float32) / 255.0).tobytes() for image in train_images}
    assert sum(row[0].tobytes() in seen for row in hidden) == 0
    for part in ("localize", "boxes"):
        inputs = load_arrays(first / part / "inputs.npz")
        labels = load_arrays(first / part / "labels.npz")
        assert set(inputs) == {"images"} and set(labels) == {"labels", "boxes"}
        assert inputs["images"].shape[1:] == (1, 64, 64)
        assert len(labels["boxes"]) == len(inputs["images"])


def test_the_committed_weights_stay_small():
    sizes = [(bundle_dir(SLUG) / "solution" / name).stat().st_size for name in WEIGHTS]
    assert sum(sizes) < 3 * 1024 * 1024


def wrong_upload(case: WrongCase, tmp_path: Path) -> Path:
    """A wrong case's code with the solution's weights: the bug is in the code, not the weights."""
    folder = tmp_path / case.path
    shutil.copytree(case.upload, folder)
    for name in FROM_SOLUTION:
        shutil.copy(bundle_dir(SLUG) / "solution" / name, folder / name)
    return zip_solution(folder)


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_solution_earns_full_marks(backbones):
    report = grade_bundle(SLUG, zip_solution(bundle_dir(SLUG) / "solution"))
    assert_full_marks(report)


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.parametrize("case", wrong_params(SLUG))
def test_each_wrong_upload_loses_exactly_its_checks(case, tmp_path, backbones):
    raw = tomllib.loads((bundle_dir(SLUG) / "wrong" / "expectations.toml").read_text())
    entry = next(w for w in raw["wrong"] if w["path"] == case.path)
    assert entry.get("weights_from") == "solution"
    assert_loses_exactly(grade_bundle(SLUG, wrong_upload(case, tmp_path)), case)


@pytest.mark.slow
def test_the_public_tests_pass_on_the_solution_and_fail_on_the_starter(tmp_path):
    passed = run_public_tests(SLUG, bundle_dir(SLUG) / "solution")
    assert passed.returncode == 0, passed.stdout[-3000:]
    failed = run_public_tests(SLUG, bundle_dir(SLUG) / "starter")
    assert failed.returncode != 0, failed.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("bug", ["boxes_xywh", "boxes_normalized", "labels_alphabetical",
                                 "batchnorm_train_mode"])
def test_the_public_tests_catch_format_and_mode_bugs(bug, tmp_path):
    case = WrongCase(SLUG, bug, "scored", ())
    folder = tmp_path / bug
    shutil.copytree(case.upload, folder)
    for name in FROM_SOLUTION:
        shutil.copy(bundle_dir(SLUG) / "solution" / name, folder / name)
    assert run_public_tests(SLUG, folder).returncode != 0
