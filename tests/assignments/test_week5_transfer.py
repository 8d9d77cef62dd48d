"""Week 5 bundle: recipe and shipped data, the reference weights, real grading of the
solution and the known-wrong uploads, and the public tests."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    WrongCase,
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    load_arrays,
    load_recipe,
    run_public_tests,
)

SLUG = "week5-transfer"
WEIGHTS = ("classifier.safetensors", "localizer.safetensors")
# `weights_from = "solution"` brings the solution's weights and its pretrained.py helper.
FROM_SOLUTION = (*WEIGHTS, "pretrained.py")


def test_the_bundle_is_valid_and_worth_100_points():
    bundle = load_bundle(SLUG)
    assert bundle.max_points == pytest.approx(100.0)
    assert [(p.name, p.builder) for p in bundle.parts] == [
        ("digits", "build_classifier"), ("localize", "build_localizer"), ("boxes", "build_localizer")]


def test_the_starter_ships_the_recipes_training_digits():
    images, labels, _ = load_recipe(SLUG).training_digits()
    shipped = load_arrays(bundle_dir(SLUG) / "starter" / "train_digits.npz")
    np.testing.assert_array_equal(shipped["images"], images)
    np.testing.assert_array_equal(shipped["labels"], labels)
    assert np.bincount(labels).tolist() == [10] * 10
    assert labels[:10].tolist() != sorted(labels[:10].tolist()), "the file must be shuffled"
    # canvases.py equals arena_datasets/localization.py: test_every_bundle ([starter] copies).


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
