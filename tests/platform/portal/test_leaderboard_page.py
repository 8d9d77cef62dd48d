"""The leaderboard page: the public board for everyone, the private one after the reveal."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from leaderboards.services import update_entry
from platform_testkit import make_submission
from submissions.models import Status

BOARD = "/assignments/platform-smoke/leaderboard/"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def enter(owner, assignment, public: float, private: float):  # type: ignore[no-untyped-def]
    report = {"metrics": {"public_score": public, "private_score": private, "accuracy": 0.5}}
    make_submission(owner, assignment, status=Status.SCORED, score=public, report=report)
    update_entry(assignment, owner)


def test_the_public_board_ranks_mentees_for_everyone(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    enter(mentee_a, assignment, public=70.0, private=10.0)
    enter(mentee_b, assignment, public=90.0, private=95.0)
    page = Client().get(BOARD).content.decode()
    assert page.index("bob") < page.index("alice")
    assert "90.00" in page and "70.00" in page
    assert "95.00" not in page and "10.00" not in page  # private scores stay hidden
    assert "revealed by the mentors after the deadline" in page


def test_the_viewers_own_row_is_highlighted(mentee_a, assignment):  # type: ignore[no-untyped-def]
    enter(mentee_a, assignment, public=70.0, private=10.0)
    assert '<tr class="me">' in logged_in(mentee_a).get(BOARD).content.decode()


def test_mentors_see_the_private_board_before_the_reveal(mentor, mentee_a, assignment):  # type: ignore[no-untyped-def]
    enter(mentee_a, assignment, public=70.0, private=12.5)
    page = logged_in(mentor).get(BOARD).content.decode()
    assert "12.50" in page and "Not revealed yet: only mentors see it." in page


def test_mentees_see_the_private_board_once_revealed_after_the_deadline(mentee_a, assignment):  # type: ignore[no-untyped-def]
    enter(mentee_a, assignment, public=70.0, private=12.5)
    assignment.deadline = timezone.now() - timedelta(days=1)
    assignment.private_revealed = True
    assignment.save(update_fields=["deadline", "private_revealed"])
    page = logged_in(mentee_a).get(BOARD).content.decode()
    assert "12.50" in page


def test_a_hidden_assignments_board_is_404_for_anonymous(hidden_assignment):  # type: ignore[no-untyped-def]
    assert Client().get("/assignments/members-only/leaderboard/").status_code == 404
