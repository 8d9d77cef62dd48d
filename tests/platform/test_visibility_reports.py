"""Metric visibility over every bundle's real report (issue 11, class 12).

``tests/platform/reports/`` holds the grader's own output for each bundle's reference solution
(``python -m grader grade --assignment <slug> --submission assignments/<slug>/solution --json``,
bubblewrap backend), stored the way the platform stores it (``parse_report``). No private-split
or sandbox-timing metric may reach a mentee or an anonymous visitor through any page, API answer,
``arena status`` or board before the deadline (timing) or the reveal (private split), and
mentors see everything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from leaderboards.services import update_entry
from platform_testkit import PLATFORM_TESTS, make_submission
from rest_framework.test import APIClient
from submissions.models import Status
from submissions.reports import parse_report
from submissions.visibility import TIMING_CHECK_MESSAGE, Audience, metric_audience

REPORTS = sorted((PLATFORM_TESTS / "reports").glob("*.json"))


def stored(path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return parse_report(path.read_text()).data


def metric_keys(metrics: dict[str, Any]) -> set[str]:
    """Every key, nested groups as ``group/key``."""
    keys = set()
    for key, value in metrics.items():
        if isinstance(value, dict):
            keys |= {f"{key}/{inner}" for inner in value}
        else:
            keys.add(key)
    return keys


def narrower_than(metrics: dict[str, Any], audience: Audience) -> set[str]:
    return {k for k in metric_keys(metrics) if metric_audience(k) > audience}


@pytest.fixture(params=REPORTS, ids=lambda path: path.stem)
def report(request) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return stored(request.param)


@pytest.fixture
def graded(report, mentee_a, assignment):  # type: ignore[no-untyped-def]
    """The real report as mentee_a's submission of an assignment whose deadline is ahead."""
    assignment.deadline = timezone.now() + timedelta(days=3)
    assignment.save()
    scored = report["status"] == "scored"
    error = report["error"] or {}
    submission = make_submission(
        mentee_a,
        assignment,
        status=report["status"],
        score=report["score"] if scored else None,
        report=report,
        error_kind=error.get("kind", ""),
        error_message=error.get("message", ""),
        finished_at=timezone.now(),
    )
    update_entry(assignment, mentee_a)
    return submission


def api(user, path: str) -> Any:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(path).json()


def page(user, path: str) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def board_metric_keys(board: dict[str, Any]) -> set[str]:
    rows = (board["public"] or []) + (board["private"] or [])
    return set().union(*(metric_keys(row["metrics"]) for row in rows)) if rows else set()


def test_the_real_reports_hold_the_metrics_this_test_is_about() -> None:
    """Guards the fixture: private-split and timing metrics really are in the stored reports."""
    keys = set().union(*(metric_keys(stored(path)["metrics"]) for path in REPORTS))
    assert {"cnn/private_accuracy", "logreg/private_accuracy", "private_score"} <= keys
    assert {"cnn/latency_p50_ms", "detect/throughput_ips", "train_vgg16/train_s"} <= keys
    assert len(REPORTS) == 7  # every bundle, plus week 4 broken off in training


def test_no_hidden_metric_reaches_the_owner_before_the_deadline(graded, mentee_a) -> None:  # type: ignore[no-untyped-def]
    hidden = narrower_than(graded.metrics, Audience.PUBLIC)
    detail = api(mentee_a, f"/api/v1/submissions/{graded.pk}/")
    assert not metric_keys(detail["metrics"]) & hidden
    assert metric_keys(detail["metrics"]) <= metric_keys(graded.metrics)
    speed = [c for c in detail["checks"] if c["name"].endswith("speed")]
    assert all(c["message"] == TIMING_CHECK_MESSAGE for c in speed)
    quoted = [c["message"] for c in graded.checks if c["name"].endswith("speed")]
    for path in (f"/submissions/{graded.pk}/", f"/submissions/{graded.pk}/panel/"):
        html = page(mentee_a, path)
        assert [key for key in hidden if key in html] == []
        assert [message for message in quoted if message in html] == []


def test_no_hidden_metric_reaches_another_mentee_or_a_visitor_through_the_boards(  # type: ignore[no-untyped-def]
    graded, mentee_b, assignment
):
    hidden = narrower_than(graded.metrics, Audience.PUBLIC)
    for viewer in (None, mentee_b):
        board = api(viewer, f"/api/v1/assignments/{assignment.slug}/leaderboard/")
        assert board["private"] is None
        assert not board_metric_keys(board) & hidden
        html = page(viewer, f"/assignments/{assignment.slug}/leaderboard/")
        assert [key for key in hidden if key in html] == []
        if graded.status == Status.SCORED:
            assert [row["submission_id"] for row in board["public"]] == [graded.pk]


def test_after_the_deadline_timing_shows_but_the_private_split_waits_for_the_reveal(  # type: ignore[no-untyped-def]
    graded, mentee_a, assignment
):
    assignment.deadline = timezone.now() - timedelta(minutes=1)
    assignment.save()
    detail = metric_keys(api(mentee_a, f"/api/v1/submissions/{graded.pk}/")["metrics"])
    assert not detail & narrower_than(graded.metrics, Audience.AFTER_DEADLINE)
    timing = {
        k for k in metric_keys(graded.metrics) if metric_audience(k) == Audience.AFTER_DEADLINE
    }
    assert timing <= detail
    checks = api(mentee_a, f"/api/v1/submissions/{graded.pk}/")["checks"]
    if graded.status == Status.SCORED:
        assert [c["message"] for c in checks] == [c["message"] for c in graded.checks]


def test_mentors_see_every_metric_of_every_report(graded, mentor, assignment) -> None:  # type: ignore[no-untyped-def]
    detail = api(mentor, f"/api/v1/submissions/{graded.pk}/")
    assert detail["metrics"] == graded.metrics
    assert len(detail["checks"]) == len(graded.checks)
    html = page(mentor, f"/submissions/{graded.pk}/")
    assert all(key.rsplit("/", 1)[-1] in html for key in metric_keys(graded.metrics))


@pytest.mark.django_db(transaction=True)
def test_arena_status_prints_no_hidden_metric(graded, mentee_a, live_server, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """The real CLI against the real API, through a live server."""
    from rest_framework.authtoken.models import Token

    from arena_cli.main import main

    monkeypatch.setenv("ARENA_URL", live_server.url)
    monkeypatch.setenv("ARENA_TOKEN", Token.objects.create(user=mentee_a).key)
    main(["status", str(graded.pk)])
    printed = capsys.readouterr().out
    assert f"Submission {graded.pk}" in printed
    assert [key for key in narrower_than(graded.metrics, Audience.PUBLIC) if key in printed] == []


def test_the_platform_and_the_grader_agree_on_every_declared_metric() -> None:
    """Where a report declares audiences (``metric_info``), the platform applies exactly them:
    its name rule never widens one, and for the names of today's reports never narrows one."""
    words = {a.name.lower(): a for a in Audience}
    declared = [stored(path) for path in REPORTS if stored(path)["metric_info"]]
    assert declared, "no stored report carries metric_info"
    for report in declared:
        info = report["metric_info"]
        assert metric_keys(report["metrics"]) <= set(info)
        disagree = {
            key: (metric_audience(key, info).name, item["visibility"])
            for key, item in info.items()
            if metric_audience(key, info) != words[item["visibility"]]
        }
        assert disagree == {}
