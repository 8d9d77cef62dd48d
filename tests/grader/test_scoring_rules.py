"""Points from metrics: linear accuracy, log-scaled speed, the accuracy floor."""

from __future__ import annotations

import math

import pytest

from grader.bundle import Scoring
from grader.report import CheckResult
from grader.scoring import linear_fraction, log_fraction, metric_checks, total_score

SCORING = Scoring(
    metric="accuracy",
    metric_zero=0.5,
    metric_full=0.9,
    accuracy_points=60,
    accuracy_floor=0.8,
    speed_points=40,
    ips_zero=100,
    ips_full=10_000,
)


@pytest.mark.parametrize(
    "value,fraction", [(0.4, 0.0), (0.5, 0.0), (0.7, 0.5), (0.9, 1.0), (0.99, 1.0), (math.nan, 0.0)]
)
def test_accuracy_points_grow_linearly(value: float, fraction: float) -> None:
    assert linear_fraction(value, 0.5, 0.9) == pytest.approx(fraction)


@pytest.mark.parametrize(
    "ips,fraction", [(50, 0.0), (100, 0.0), (1000, 0.5), (10_000, 1.0), (1e9, 1.0), (math.inf, 0.0)]
)
def test_speed_points_grow_with_the_logarithm(ips: float, fraction: float) -> None:
    assert log_fraction(ips, 100, 10_000) == pytest.approx(fraction)


def test_it_scores_an_accurate_fast_model() -> None:
    checks = metric_checks(SCORING, {"accuracy": 0.7, "throughput_ips": 1000}, "p/")
    assert [c.name for c in checks] == ["p/accuracy", "p/speed"]
    assert [c.points for c in checks] == pytest.approx([30.0, 0.0])  # 0.7: under the floor
    checks = metric_checks(SCORING, {"accuracy": 0.85, "throughput_ips": 1000}, "p/")
    assert [c.points for c in checks] == pytest.approx([52.5, 20.0])


def test_fast_garbage_earns_no_speed_points() -> None:
    checks = metric_checks(SCORING, {"accuracy": 0.1, "throughput_ips": 1e9})
    assert sum(c.points for c in checks) == 0.0
    assert "speed counts only" in checks[1].message


def test_cached_answers_earn_no_speed_points() -> None:
    checks = metric_checks(
        SCORING,
        {"accuracy": 0.95, "throughput_ips": 1e9},
        speed_valid=False,
        why="answers look cached",
    )
    assert checks[1].points == 0.0 and checks[1].message == "answers look cached"
    assert checks[0].points == 60.0


def test_the_total_is_the_sum_capped_to_0_100() -> None:
    checks = [CheckResult("a", True, 60.0, 60.0), CheckResult("b", True, 40.0, 40.0)]
    assert total_score(checks) == 100.0
    assert total_score([]) == 0.0


def test_a_top_level_metric_is_the_copy_of_the_part_that_scores_it() -> None:
    """Week 5: ``localize`` and ``boxes`` both measure mean IoU (on different timed queries);
    ``boxes`` scores it, so the top-level ``mean_iou`` a page shows is the scored number."""
    from grader.grading import merge_part_metrics

    merged: dict[str, float | int] = {}
    copies: set[str] = set()
    merge_part_metrics(merged, {"accuracy": 0.94}, "digits", "accuracy", True, copies)
    localize = {"loc_accuracy": 0.54, "mean_iou": 0.6865, "accuracy": 0.59}
    merge_part_metrics(merged, localize, "localize", "loc_accuracy", True, copies)
    boxes = {"loc_accuracy": 0.57, "mean_iou": 0.6816, "private_mean_iou": 0.67}
    merge_part_metrics(merged, boxes, "boxes", "mean_iou", True, copies)
    assert merged["mean_iou"] == merged["boxes/mean_iou"] == 0.6816
    assert merged["private_mean_iou"] == 0.67
    assert merged["loc_accuracy"] == merged["localize/loc_accuracy"] == 0.54  # scored there
    assert merged["accuracy"] == 0.94  # the first part scores it; localize's does not replace it
    assert merged["localize/mean_iou"] == 0.6865  # each part's own figure stays under its name


def test_a_single_part_keeps_plain_keys_only() -> None:
    from grader.grading import merge_part_metrics

    merged: dict[str, float | int] = {}
    merge_part_metrics(merged, {"accuracy": 0.9, "params": 10}, "cnn", "accuracy", False, set())
    assert merged == {"accuracy": 0.9, "params": 10}
