"""Week 2 bundle: recipe, shipped training split, public tests, and real grading of its uploads."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    assert_full_marks,
    assert_function_cases_cover_every_check,
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    grade_bundle,
    load_arrays,
    load_recipe,
    load_solution,
    zip_solution,
)

SLUG = "week2-neural-nets"


def test_the_bundle_is_valid_and_worth_100_points():
    bundle = load_bundle(SLUG)
    assert bundle.max_points == pytest.approx(100.0)
    assert [(p.name, p.kind) for p in bundle.parts] == [
        ("functions", "functions"),
        ("logreg", "model"),
    ]


def test_the_recipe_is_deterministic_and_covers_every_check(tmp_path):
    first = build_hidden_data(SLUG, tmp_path / "a")
    assert_function_cases_cover_every_check(SLUG, first, "functions")
    assert_same_arrays(first, build_hidden_data(SLUG, tmp_path / "b"))


def test_every_softmax_case_holds_logits_in_the_hundreds(tmp_path):
    inputs = load_arrays(build_hidden_data(SLUG, tmp_path) / "functions" / "inputs.npz")
    for check in ("softmax", "cross_entropy", "cross_entropy_grad"):
        logits = [
            v for k, v in inputs.items() if k.startswith(f"{check}/") and k.endswith("args/0")
        ]
        assert logits and all(np.abs(x).max() > 100 for x in logits), check


def test_the_shipped_training_split_is_the_recipes_and_disjoint_from_the_hidden_one(tmp_path):
    recipe = load_recipe(SLUG)
    train_images, train_labels, hidden_images, _ = recipe.digits_split()
    shipped = load_arrays(bundle_dir(SLUG) / "starter" / "digits_train.npz")
    np.testing.assert_array_equal(shipped["images"], train_images)
    np.testing.assert_array_equal(shipped["labels"], train_labels)
    assert len(train_images) + len(hidden_images) == 1797
    hidden = load_arrays(build_hidden_data(SLUG, tmp_path) / "logreg" / "inputs.npz")["images"]
    assert hidden.shape == (len(hidden_images), 1, 8, 8) and hidden.dtype == np.float32
    train_rows = {row.tobytes() for row in train_images.astype(np.float32)}
    overlap = sum(row[0].tobytes() in train_rows for row in hidden)
    assert overlap < 10, "the hidden split repeats training images"  # a few digits are identical


def test_the_committed_solution_weights_reach_the_full_mark_on_the_hidden_split():
    recipe = load_recipe(SLUG)
    _, _, hidden_images, hidden_labels = recipe.digits_split()
    submission = load_solution(SLUG)
    model = submission.build_logreg()
    model.load_state_dict(load_file(str(bundle_dir(SLUG) / "solution" / "logreg.safetensors")))
    with torch.no_grad():
        predictions = model(torch.from_numpy(hidden_images).float()[:, None]).argmax(1).numpy()
    accuracy = (predictions == hidden_labels).mean()
    assert accuracy >= load_bundle(SLUG).parts[1].scoring.metric_full + 0.02, accuracy


@pytest.mark.slow
def test_train_py_reproduces_the_committed_weights(tmp_path):
    solution = bundle_dir(SLUG) / "solution"
    committed = load_file(str(solution / "logreg.safetensors"))
    out = tmp_path / "logreg.safetensors"
    result = subprocess.run(
        [sys.executable, str(solution / "train.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name, tensor in load_file(str(out)).items():
        torch.testing.assert_close(tensor, committed[name], rtol=1e-4, atol=1e-5)


def test_the_sigmoid_cases_reach_both_tails_past_the_overflow(tmp_path):
    inputs = load_arrays(build_hidden_data(SLUG, tmp_path) / "functions" / "inputs.npz")
    xs = [v for k, v in inputs.items() if k.startswith("sigmoid/")]
    assert any(x.max() >= 1000 for x in xs) and any(x.min() <= -1000 for x in xs)
    assert any(x.min() <= -100 for x in xs if x.size == 1), "a batch of one in the tail"


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_log_space_solution_earns_full_marks():
    """tanh sigmoid, logsumexp softmax and loss: correct, not the reference's code (issue 12:
    logits in the hundreds and softmax's rtol leave float32's log-space error room)."""
    upload = bundle_dir(SLUG) / "variants" / "log_space"
    assert_full_marks(grade_bundle(SLUG, zip_solution(upload)))
