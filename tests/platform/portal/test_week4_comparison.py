"""The week 4 page: the reference comparison chart with the mentees' scored submissions on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from courses.models import Assignment, Week
from django.test import Client
from leaderboards.services import update_entry
from platform_testkit import make_submission
from submissions.models import Status

WEEK4 = "/courses/deep-dive-cnns/weeks/4/"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REFERENCE_POINTS = [
    {
        "label": "alexnet",
        "family": "alexnet",
        "accuracy": 0.91,
        "macs": 40_000_000,
        "params": 2_500_000,
    },
    {
        "label": "resnet18",
        "family": "resnet",
        "accuracy": 0.95,
        "macs": 150_000_000,
        "params": 11_000_000,
    },
]


@pytest.fixture
def week4(assignment):  # type: ignore[no-untyped-def]
    week = Week.objects.create(
        course=assignment.week.course, number=4, title="Compared", comparison_chart=True
    )
    return Assignment.objects.create(
        week=week,
        slug="week4-compare",
        title="Compare",
        kind="architecture",
        bundle_dir=assignment.bundle_dir,
    )


@pytest.fixture
def reference_results(settings, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "comparison.json"
    path.write_text(json.dumps({"dataset": "mnist-5k", "points": REFERENCE_POINTS}))
    settings.ARENA_COMPARISON_RESULTS = path
    return path


def test_without_reference_results_the_page_says_how_to_make_them(week4, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.ARENA_COMPARISON_RESULTS = tmp_path / "missing.json"
    page = Client().get(WEEK4).content.decode()
    assert "has not been run on this server yet" in page
    assert Client().get(f"{WEEK4}comparison.png").status_code == 404


def test_the_chart_places_mentees_points_over_the_references(  # type: ignore[no-untyped-def]
    week4, reference_results, mentee_a, settings
):
    metrics = {"resnet": {"accuracy": 0.93, "macs": 150_000_000, "params": 11_000_000}}
    make_submission(mentee_a, week4, status=Status.SCORED, score=80.0, report={"metrics": metrics})
    update_entry(week4, mentee_a)
    from portal.comparison import mentee_points

    (point,) = mentee_points(week4.week, mentee_a)
    assert (point.label, point.family, point.accuracy) == ("alice: resnet", "resnet", 0.93)

    page = Client().get(WEEK4).content.decode()
    assert f'src="{WEEK4}comparison.png"' in page
    chart = Client().get(f"{WEEK4}comparison.png")
    assert chart.status_code == 200 and chart["Content-Type"] == "image/png"
    assert b"".join(chart.streaming_content).startswith(PNG_MAGIC)
    cached = list((settings.ARENA_HOME / "cache" / "portal").glob("comparison-*.png"))
    assert len(cached) == 1
    # Drawn once: the second request is served from the cache.
    stamp = cached[0].stat().st_mtime_ns
    b"".join(Client().get(f"{WEEK4}comparison.png").streaming_content)
    assert cached[0].stat().st_mtime_ns == stamp


def test_a_new_result_replaces_the_cached_chart(week4, reference_results, mentee_a, settings):  # type: ignore[no-untyped-def]
    b"".join(Client().get(f"{WEEK4}comparison.png").streaming_content)
    metrics = {"accuracy": 0.5, "macs": 1_000_000, "params": 10_000, "family": "simple_cnn"}
    make_submission(mentee_a, week4, status=Status.SCORED, score=30.0, report={"metrics": metrics})
    update_entry(week4, mentee_a)
    b"".join(Client().get(f"{WEEK4}comparison.png").streaming_content)
    assert len(list((settings.ARENA_HOME / "cache" / "portal").glob("comparison-*.png"))) == 1


def test_a_graded_week4_report_gives_one_point_per_trained_family(week4, mentee_a):  # type: ignore[no-untyped-def]
    """The grader's own layout: per-part keys, with the first part's metrics also flat."""
    metrics = {
        "accuracy": 0.61, "macs": 129_000_000, "params": 4_359_882,
        "train_alexnet/accuracy": 0.61, "train_alexnet/macs": 129_000_000,
        "train_alexnet/params": 4_359_882, "train_alexnet/train_s": 38.0,
        "train_resnet18/accuracy": 0.56, "train_resnet18/macs": 455_800_000,
        "train_resnet18/params": 11_172_810,
        "train_vgg16/accuracy": 0.3,  # no macs/params: not a point
        "imagenet/passed": 5, "public_score": 90.0,
    }
    make_submission(mentee_a, week4, status=Status.SCORED, score=90.0, report={"metrics": metrics})
    update_entry(week4, mentee_a)
    from portal.comparison import mentee_points

    points = sorted(mentee_points(week4.week, mentee_a), key=lambda p: p.label)
    assert [(p.label, p.family, p.accuracy) for p in points] == [
        ("alice: alexnet", "alexnet", 0.61), ("alice: resnet18", "resnet", 0.56)]


def test_the_reference_bubbles_are_trained_under_the_graders_own_budget(settings):  # type: ignore[no-untyped-def]
    """The chart's references: the week 4 bundle's families (VGG-16, not vgg11_bn) trained
    under exactly the budgets the grader trains submissions under, and the page says it."""

    from portal.comparison import reference_budget, reference_results

    from grader.bundle import load_bundle

    settings.ARENA_COMPARISON_RESULTS = None
    results = reference_results()
    assert results.name == "week4_budget.json"
    found = json.loads(results.read_text())
    bundle = load_bundle(Path(__file__).resolve().parents[3] / "assignments" / "week4-architectures")
    budgets = {p.builder: p.budget.images for p in bundle.parts if p.kind == "train"}
    assert found["budget_images"] == budgets
    assert [p["label"] for p in found["points"]] == ["alexnet", "vgg16", "resnet18", "googlenet"]
    assert f"{budgets['alexnet']:,} training images" in reference_budget()
