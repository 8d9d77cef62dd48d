"""Queue transparency: a waiting submission's position in the fair order of its queue and an
estimated start from the measured grading times (median of recent gradings) of each run ahead,
in the API and on the result page. Real database; the history rows are what workers write."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from platform_testkit import make_submission
from rest_framework.test import APIClient
from submissions.history import median_grading_seconds
from submissions.models import GradingReport, Status
from submissions.queue import CPU_SHORT
from submissions.queue_status import queue_status


def waiting(owner, assignment, minutes_ago: float):  # type: ignore[no-untyped-def]
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return make_submission(
        owner, assignment, queue=CPU_SHORT, queued_at=at, enqueued_at=at, created_at=at
    )


def timed(owner, assignment, seconds: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Finished gradings of the assignment taking these wall times."""
    for duration in seconds:
        done = make_submission(owner, assignment, status=Status.SCORED, score=50.0)
        end = timezone.now()
        GradingReport.objects.create(
            submission=done,
            judging=1,
            status=Status.SCORED,
            score=50.0,
            started_at=end - timedelta(seconds=duration),
            finished_at=end,
            duration_s=duration,
        )


def test_the_median_of_recent_gradings_times_an_assignment(mentor, assignment):  # type: ignore[no-untyped-def]
    assert median_grading_seconds(assignment) is None
    timed(mentor, assignment, [10.0, 30.0, 200.0])  # one outlier barely moves a median
    assert median_grading_seconds(assignment) == 30.0


def test_a_waiting_run_knows_its_place_and_its_estimated_start(  # type: ignore[no-untyped-def]
    mentor, mentee_a, mentee_b, assignment
):
    timed(mentor, assignment, [20.0, 20.0, 20.0])
    first = waiting(mentee_a, assignment, minutes_ago=3)
    second = waiting(mentee_a, assignment, minutes_ago=2)
    bob = waiting(mentee_b, assignment, minutes_ago=1)
    status = queue_status(bob)
    assert (status.position, status.ahead, status.running) == (2, 1, 0)  # fair: after `first`
    assert 15 <= status.estimated_wait_s <= 20  # one run of 20 s ahead
    later = queue_status(second)
    assert (later.position, later.ahead) == (3, 2)
    assert 35 <= later.estimated_wait_s <= 40
    assert queue_status(first).position == 1
    make_submission(mentee_b, assignment, status=Status.SCORED)
    assert queue_status(make_submission(mentee_a, assignment, status=Status.SCORED)) is None


def test_without_a_measured_grading_there_is_no_made_up_estimate(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    waiting(mentee_a, assignment, minutes_ago=2)
    status = queue_status(waiting(mentee_b, assignment, minutes_ago=1))
    assert status.position == 2 and status.estimated_start is None


def test_the_api_and_the_result_page_report_the_position(  # type: ignore[no-untyped-def]
    mentor, mentee_a, mentee_b, assignment, client
):
    timed(mentor, assignment, [12.0])
    waiting(mentee_a, assignment, minutes_ago=2)
    bob = waiting(mentee_b, assignment, minutes_ago=1)
    api = APIClient()
    api.force_authenticate(mentee_b)
    queue = api.get(f"/api/v1/submissions/{bob.pk}/").json()["queue"]
    assert (queue["position"], queue["ahead"], queue["median_grading_s"]) == (2, 1, 12.0)
    assert queue["estimated_start"] is not None and 0 <= queue["estimated_wait_s"] <= 12
    client.force_login(mentee_b)
    panel = client.get(f"/submissions/{bob.pk}/panel/").content.decode()
    assert 'data-queue-position="2"' in panel and "Estimated start" in panel


def test_the_command_line_client_says_the_position_while_it_waits() -> None:
    from arena_cli.main import state

    waiting = {"status": "queued", "queue": {"position": 3, "estimated_wait_s": 42.4}}
    assert state(waiting) == "queued, position 3, starts in about 42 s"
    later = {"status": "queued", "queue": {"position": 9, "estimated_wait_s": 600.0}}
    assert state(later) == "queued, position 9, starts in about 10 min"
    unknown = {"status": "queued", "queue": {"position": 2, "estimated_wait_s": None}}
    assert state(unknown) == "queued, position 2"
    assert state({"status": "running", "queue": None}) == "running"
