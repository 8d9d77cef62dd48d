"""The course timeline and the week page: what is open, what is due, the mentee's own status."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from platform_testkit import make_submission
from submissions.models import Status

COURSE = "/courses/deep-dive-cnns/"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_home_goes_straight_to_the_only_course(assignment):  # type: ignore[no-untyped-def]
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"] == COURSE


def test_the_timeline_lists_the_week_and_its_open_assignment(assignment):  # type: ignore[no-untyped-def]
    page = Client().get(COURSE).content.decode()
    assert "Week 1:" in page
    assert "Platform smoke test: add and scale" in page
    assert "/assignments/platform-smoke/" in page
    assert ">Open<" in page


def test_a_mentee_sees_their_best_score_and_last_status(mentee_a, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.SCORED, score=62.5)
    make_submission(mentee_a, assignment, status=Status.FAILED, error_kind="shape")
    page = logged_in(mentee_a).get(COURSE).content.decode()
    assert "62.5" in page
    assert 'class="status status-failed">Failed<' in page
    assert "2 submissions" in page


def test_another_mentees_progress_is_not_shown(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.SCORED, score=77.7)
    page = logged_in(mentee_b).get(COURSE).content.decode()
    assert "77.7" not in page
    assert "Not submitted yet." in page


def test_anonymous_visitors_see_public_assignments_only(mentee_a, hidden_assignment):  # type: ignore[no-untyped-def]
    assert "Members only" not in Client().get(COURSE).content.decode()
    assert "Members only" in logged_in(mentee_a).get(COURSE).content.decode()


def test_an_unopened_assignment_shows_to_mentors_as_upcoming(mentor, mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.opens_at = timezone.now() + timedelta(days=2)
    assignment.save(update_fields=["opens_at"])
    assert "Opens " in logged_in(mentor).get(COURSE).content.decode()
    assert logged_in(mentee_a).get(COURSE).status_code == 404


def test_a_closed_assignment_says_so(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() - timedelta(hours=1)
    assignment.save(update_fields=["deadline"])
    page = logged_in(mentee_a).get(COURSE).content.decode()
    assert ">Closed<" in page and "Due " in page


def test_the_week_page_lists_the_weeks_assignments(assignment):  # type: ignore[no-untyped-def]
    page = Client().get(f"{COURSE}weeks/1/").content.decode()
    assert "Platform smoke test: add and scale" in page
    assert "Architectures compared" not in page  # only week 4 carries the comparison


def test_an_unknown_week_or_course_is_404(assignment):  # type: ignore[no-untyped-def]
    assert Client().get(f"{COURSE}weeks/9/").status_code == 404
    assert Client().get("/courses/nope/").status_code == 404
