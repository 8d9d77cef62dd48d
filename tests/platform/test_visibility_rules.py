"""The one visibility rule: deny by default, declarations narrow but never widen, and a run that
did not end ``scored`` shows mentees no hidden check (issue 11, classes 4, 5 and 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from platform_testkit import PLATFORM_TESTS, make_submission
from rest_framework.test import APIClient
from submissions.models import Status
from submissions.reports import parse_report
from submissions.visibility import Audience, metric_audience

WEEK4_ERROR = PLATFORM_TESTS / "reports" / "week4-architectures-error.json"
WEEK3 = PLATFORM_TESTS / "reports" / "week3-cnn.json"


@pytest.mark.parametrize(
    ("key", "audience"),
    [
        ("accuracy", Audience.PUBLIC),
        ("cnn/accuracy", Audience.PUBLIC),
        ("cnn/private_accuracy", Audience.AFTER_REVEAL),
        ("private_score", Audience.AFTER_REVEAL),
        ("logreg/private_top5_accuracy", Audience.AFTER_REVEAL),
        ("cnn/latency_p50_ms", Audience.AFTER_DEADLINE),
        ("throughput_ips", Audience.AFTER_DEADLINE),
        ("detect/throughput_cv", Audience.AFTER_DEADLINE),
        ("train_vgg16/train_s", Audience.AFTER_DEADLINE),
        ("cnn/timed_queries", Audience.MENTOR),
        ("cnn/something_new", Audience.MENTOR),
        ("hidden_case_3_value", Audience.MENTOR),
    ],
)
def test_each_metric_name_has_one_audience_and_unknown_names_are_for_mentors(key, audience) -> None:  # type: ignore[no-untyped-def]
    assert metric_audience(key) == audience


def test_a_declaration_opens_an_unknown_name_but_never_widens_a_known_one() -> None:
    declared = {
        "cnn/new_public_thing": {"visibility": "public"},
        "cnn/private_accuracy": {"visibility": "public"},
        "cnn/latency_p50_ms": {"visibility": "public"},
        "cnn/accuracy": {"visibility": "mentor"},
        "cnn/odd": {"visibility": "everyone"},
    }
    assert metric_audience("cnn/new_public_thing", declared) == Audience.PUBLIC
    assert metric_audience("cnn/private_accuracy", declared) == Audience.AFTER_REVEAL
    assert metric_audience("cnn/latency_p50_ms", declared) == Audience.AFTER_DEADLINE
    assert metric_audience("cnn/accuracy", declared) == Audience.MENTOR
    assert metric_audience("cnn/odd", declared) == Audience.MENTOR


def detail(user, submission) -> dict:  # type: ignore[no-untyped-def,type-arg]
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/submissions/{submission.pk}/").json()


def stored_as(path, status: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    data = parse_report(path.read_text()).data
    return {**data, "status": status}


@pytest.mark.parametrize("status", [Status.FAILED, Status.ERROR, Status.REJECTED])
def test_a_run_that_did_not_end_scored_shows_mentees_no_hidden_check(  # type: ignore[no-untyped-def]
    status, mentee_a, mentor, assignment
):
    """The real week 4 report that broke off in training still carries nine passed hidden
    architecture checks: a mentee reads none of them, mentors read all."""
    report = stored_as(WEEK4_ERROR, status)
    assert sum(c["passed"] for c in report["checks"]) >= 9
    submission = make_submission(
        mentee_a,
        assignment,
        status=status,
        report=report,
        error_kind="internal",
        error_message=report["error"]["message"],
    )
    assert detail(mentee_a, submission)["checks"] == []
    html = Client()
    html.force_login(mentee_a)
    page = html.get(f"/submissions/{submission.pk}/").content.decode()
    assert [c["message"] for c in report["checks"] if c["message"] in page] == []
    assert len(detail(mentor, submission)["checks"]) == len(report["checks"])


def test_checks_the_grader_marks_as_public_stage_stay_visible_after_a_failure(  # type: ignore[no-untyped-def]
    mentee_a, assignment
):
    report = stored_as(WEEK3, Status.FAILED)
    report["checks"][0]["stage"] = "public"
    submission = make_submission(mentee_a, assignment, status=Status.FAILED, report=report)
    shown = detail(mentee_a, submission)["checks"]
    assert [c["name"] for c in shown] == [report["checks"][0]["name"]]


def test_a_scored_run_shows_its_checks_to_its_owner(mentee_a, assignment) -> None:  # type: ignore[no-untyped-def]
    report = stored_as(WEEK3, Status.SCORED)
    submission = make_submission(
        mentee_a, assignment, status=Status.SCORED, score=report["score"], report=report
    )
    assert len(detail(mentee_a, submission)["checks"]) == len(report["checks"])


def test_the_leaderboard_columns_hide_throughput_until_the_deadline(  # type: ignore[no-untyped-def]
    mentee_b, assignment
):
    # The board's columns are the bundle's scored metrics (``leaderboards.columns``).
    parts = [{"name": "cnn", "kind": "model", "scoring": {"metric": "accuracy", "speed_points": 5}}]
    field = "parts" if hasattr(assignment, "parts") else "scoring"
    setattr(assignment, field, parts)
    assignment.deadline = timezone.now() + timedelta(days=1)
    assignment.save()
    client = Client()
    client.force_login(mentee_b)
    before = client.get(f"/assignments/{assignment.slug}/leaderboard/").content.decode()
    assert ">Accuracy<" in before and "Throughput" not in before
    assignment.deadline = timezone.now() - timedelta(seconds=1)
    assignment.save()
    after = client.get(f"/assignments/{assignment.slug}/leaderboard/").content.decode()
    assert "Throughput (images/s)" in after
