"""Week 1 bundle: recipe, public tests, and its solution and wrong uploads graded for real."""

import numpy as np
import pytest

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    assert_full_marks,
    assert_function_cases_cover_every_check,
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    grade_bundle,
    load_arrays,
    zip_solution,
)

SLUG = "week1-tensors"


def test_the_bundle_is_valid_and_worth_100_points():
    bundle = load_bundle(SLUG)
    assert bundle.max_points == pytest.approx(100.0)
    assert [p.kind for p in bundle.parts] == ["functions"]


def test_the_recipe_is_deterministic_and_covers_every_check(tmp_path):
    first = build_hidden_data(SLUG, tmp_path / "a")
    assert_function_cases_cover_every_check(SLUG, first, "functions")
    assert_same_arrays(first, build_hidden_data(SLUG, tmp_path / "b"))


def test_the_hidden_cases_include_the_edge_cases(tmp_path):
    inputs = load_arrays(build_hidden_data(SLUG, tmp_path) / "functions" / "inputs.npz")
    images = [v for k, v in inputs.items() if k.startswith("normalize_per_channel/")]
    assert any(image.shape[0] == 1 for image in images), "a batch of one"
    assert any(image.shape[2] != image.shape[3] for image in images), "a non-square image"
    assert {image.dtype.name for image in images} == {"float32", "float64", "uint8"}
    means = [image.astype(np.float64).mean(axis=(0, 2, 3)) for image in images]
    assert any((m > 80).all() for m in means), "channels far from zero (E[x^2] - E[x]^2 fails)"
    spreads = [image.astype(np.float64).std(axis=(0, 2, 3)) for image in images]
    assert any((s < 0.05).any() for s in spreads), "a nearly constant channel (eps placement)"
    labels = [v for k, v in inputs.items() if k.startswith("one_hot/") and "/args/0" in k]
    assert any(label.size == 0 for label in labels), "an empty batch"
    widths = [int(v) for k, v in inputs.items() if k.startswith("one_hot/") and "/args/1/s" in k]
    assert 1 in widths, "a single class"
    strides = {
        case: (int(inputs[f"im2col/{case}/args/2/s"]), int(inputs[f"im2col/{case}/args/3/s"]))
        for case in range(8)
    }
    assert any(stride > kernel for kernel, stride in strides.values()), "stride past the kernel"
    logits = [v for k, v in inputs.items() if k.startswith("topk_accuracy/") and "/args/0" in k]
    assert any(len(np.unique(row)) < row.size for x in logits for row in x), "tied logits"


def test_no_tie_spans_the_kth_place_of_a_label(tmp_path):
    """The statement leaves a tie across the k-th place undecided, so no case holds one."""
    inputs = load_arrays(build_hidden_data(SLUG, tmp_path) / "functions" / "inputs.npz")
    for case in range(7):
        logits = inputs[f"topk_accuracy/{case}/args/0"]
        labels = inputs[f"topk_accuracy/{case}/args/1"]
        k = int(inputs[f"topk_accuracy/{case}/args/2/s"])
        picked = logits[np.arange(len(labels)), labels][:, None]
        above, level = (logits > picked).sum(1), (logits == picked).sum(1)
        assert ((above >= k) | (above + level <= k)).all(), case


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_correct_solution_in_another_style_earns_full_marks():
    """var_mean, scatter, F.unfold, a count instead of a sort: not the reference's code."""
    upload = bundle_dir(SLUG) / "variants" / "other_style.py"
    assert_full_marks(grade_bundle(SLUG, zip_solution(upload)))
