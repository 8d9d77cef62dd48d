"""Week 1 bundle: recipe, public tests, and its solution and wrong uploads graded for real."""

import pytest

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    assert_full_marks,
    assert_function_cases_cover_every_check,
    assert_loses_exactly,
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    grade_bundle,
    load_arrays,
    run_public_tests,
    wrong_params,
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


@pytest.mark.slow  # a pytest subprocess importing torch
def test_the_public_tests_pass_on_the_solution():
    result = run_public_tests(SLUG, bundle_dir(SLUG) / "solution")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # a pytest subprocess importing torch
def test_the_public_tests_fail_on_the_starter():
    result = run_public_tests(SLUG, bundle_dir(SLUG) / "starter")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "6 failed" in result.stdout, result.stdout


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_solution_earns_full_marks():
    assert_full_marks(grade_bundle(SLUG, zip_solution(bundle_dir(SLUG) / "solution")))


@pytest.mark.parametrize("case", wrong_params(SLUG, pytest.mark.slow, pytest.mark.bwrap))
def test_each_wrong_upload_loses_exactly_its_checks(case):
    assert_loses_exactly(grade_bundle(SLUG, zip_solution(case.upload)), case)
