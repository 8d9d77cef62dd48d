"""The mentor dashboard: queue, problem runs, activity, rejudge, reveal, grade export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from platform_testkit import make_submission
from submissions.models import Status, Submission

DASHBOARD = "/dashboard/"


def logged_in(user, csrf: bool = False) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_mentees_are_refused_and_anonymous_visitors_sent_to_log_in(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assert logged_in(mentee_a).get(DASHBOARD).status_code == 403
    response = Client().get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_shows_the_queue_the_running_and_the_broken_runs(mentor, mentee_a, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.QUEUED)
    make_submission(mentee_a, assignment, status=Status.QUEUED)
    running = make_submission(
        mentee_a, assignment, status=Status.RUNNING, started_at=timezone.now()
    )
    broken = make_submission(
        mentee_a,
        assignment,
        status=Status.ERROR,
        error_kind="sandbox",
        error_message="bwrap: cannot create cgroup",
        finished_at=timezone.now(),
    )
    page = logged_in(mentor).get(DASHBOARD).content.decode()
    assert 'data-queued="2"' in page
    assert f'id="run-{running.pk}"' in page
    assert f'id="run-{broken.pk}"' in page and "bwrap: cannot create cgroup" in page
    assert "Broker queue <code>cpu</code>" in page  # the embedded broker answers


def test_it_counts_submissions_per_week(mentor, mentee_a, assignment):  # type: ignore[no-untyped-def]
    for _ in range(3):
        make_submission(mentee_a, assignment, status=Status.SCORED, score=1.0)
    page = logged_in(mentor).get(DASHBOARD).content.decode()
    assert "<svg" in page and ">Week 1</text>" in page and ">3</text>" in page


def test_rejudge_queues_a_finished_submission_again(  # type: ignore[no-untyped-def]
    mentor, mentee_a, assignment, django_capture_on_commit_callbacks
):
    broken = make_submission(mentee_a, assignment, status=Status.ERROR, error_kind="sandbox")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = logged_in(mentor).post(f"/dashboard/submissions/{broken.pk}/rejudge/")
    assert response.status_code == 302
    broken.refresh_from_db()
    assert broken.status == Status.QUEUED and len(callbacks) == 1


def test_rejudge_needs_post_with_a_csrf_token(mentor, mentee_a, assignment):  # type: ignore[no-untyped-def]
    broken = make_submission(mentee_a, assignment, status=Status.ERROR)
    url = f"/dashboard/submissions/{broken.pk}/rejudge/"
    assert logged_in(mentor).get(url).status_code == 405
    assert logged_in(mentor, csrf=True).post(url).status_code == 403
    assert Submission.objects.get(pk=broken.pk).status == Status.ERROR


def test_the_private_board_cannot_be_revealed_before_the_deadline(mentor, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() + timedelta(days=1)
    assignment.save(update_fields=["deadline"])
    response = logged_in(mentor).post(
        "/dashboard/assignments/platform-smoke/reveal/", {"revealed": "1"}, follow=True
    )
    assert "can be revealed after its deadline" in response.content.decode()
    assignment.refresh_from_db()
    assert not assignment.private_revealed


def test_the_private_board_is_revealed_after_the_deadline(mentor, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() - timedelta(minutes=1)
    assignment.save(update_fields=["deadline"])
    client = logged_in(mentor)
    client.post("/dashboard/assignments/platform-smoke/reveal/", {"revealed": "1"})
    assignment.refresh_from_db()
    assert assignment.private_revealed
    client.post("/dashboard/assignments/platform-smoke/reveal/", {"revealed": "0"})
    assignment.refresh_from_db()
    assert not assignment.private_revealed


def test_grades_export_as_csv_with_each_mentees_best_score(  # type: ignore[no-untyped-def]
    mentor, mentee_a, mentee_b, assignment
):
    make_submission(mentee_a, assignment, status=Status.SCORED, score=40.0)
    make_submission(mentee_a, assignment, status=Status.SCORED, score=85.5)
    make_submission(mentee_a, assignment, status=Status.FAILED)
    make_submission(mentor, assignment, status=Status.SCORED, score=100.0)
    response = logged_in(mentor).get("/dashboard/grades.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["user", "platform-smoke", "platform-smoke raw", "platform-smoke days late"],
        ["alice", "85.50", "85.50", "0"],
        ["bob", "", "", ""],
    ]


def test_a_formula_looking_username_is_defused_in_the_csv(mentor, assignment):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    User.objects.create_user("=cmd", password="x-pass-1")
    rows = list(
        csv.reader(io.StringIO(logged_in(mentor).get("/dashboard/grades.csv").content.decode()))
    )
    assert ["'=cmd", "", "", ""] in rows


def test_the_queue_counts_refresh_as_a_fragment(mentor, mentee_a, assignment):  # type: ignore[no-untyped-def]
    client = logged_in(mentor)
    assert 'hx-get="/dashboard/queue/"' in client.get(DASHBOARD).content.decode()
    make_submission(mentee_a, assignment, status=Status.QUEUED)
    fragment = client.get("/dashboard/queue/").content.decode()
    assert fragment.startswith('<table class="compact" id="queue-depth"')
    assert 'data-queued="1"' in fragment
