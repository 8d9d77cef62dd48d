"""Leaderboards: best score per mentee, earlier wins ties, private split hidden until revealed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from leaderboards.services import leaderboard, update_entry
from platform_testkit import make_submission
from rest_framework.test import APIClient
from submissions.models import Status


def scored(owner, assignment, score, minutes_ago=0, **metrics):  # type: ignore[no-untyped-def]
    report = {"status": "scored", "score": score, "checks": [], "metrics": metrics, "logs": ""}
    submission = make_submission(
        owner,
        assignment,
        status=Status.SCORED,
        score=score,
        report=report,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    update_entry(assignment, owner)
    return submission


def test_it_ranks_each_mentees_best_submission(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 40.0)
    best_a = scored(mentee_a, assignment, 80.0)
    best_b = scored(mentee_b, assignment, 60.0)
    rows = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [(r["rank"], r["user"], r["score"], r["submission_id"]) for r in rows] == [
        (1, "alice", 80.0, best_a.pk),
        (2, "bob", 60.0, best_b.pk),
    ]


def test_an_earlier_submission_wins_a_tie(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 70.0, minutes_ago=1)
    scored(mentee_b, assignment, 70.0, minutes_ago=5)
    rows = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [r["user"] for r in rows] == ["bob", "alice"]


def test_failed_submissions_and_mentors_stay_off_the_board(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.FAILED)
    update_entry(assignment, mentee_a)
    scored(mentor, assignment, 100.0)
    assert leaderboard(assignment, private=False, viewer=mentor) == []


def test_the_private_board_uses_the_private_split_and_waits_for_the_reveal(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    scored(mentee_a, assignment, 90.0, public_score=90.0, private_score=50.0)
    scored(mentee_b, assignment, 70.0, public_score=70.0, private_score=75.0)
    public = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [r["user"] for r in public] == ["alice", "bob"]
    assert all("private_score" not in r["metrics"] for r in public)
    assert leaderboard(assignment, private=True, viewer=mentee_a) is None
    private = leaderboard(assignment, private=True, viewer=mentor)
    assert [(r["user"], r["score"]) for r in private] == [("bob", 75.0), ("alice", 50.0)]

    assignment.private_revealed = True
    assignment.save(update_fields=["private_revealed"])
    assert leaderboard(assignment, private=True, viewer=mentee_a) is None  # deadline not passed
    assignment.deadline = timezone.now() - timedelta(hours=1)
    assignment.save(update_fields=["deadline"])
    assert [r["user"] for r in leaderboard(assignment, private=True, viewer=mentee_a)] == [
        "bob",
        "alice",
    ]


def test_the_api_returns_both_boards_in_the_contract_shape(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment, 88.0, accuracy=0.9)
    body = APIClient().get(f"/api/v1/assignments/{assignment.slug}/leaderboard/").json()
    assert body["private"] is None
    (row,) = body["public"]
    assert set(row) == {
        "rank",
        "user",
        "score",
        "metrics",
        "submission_id",
        "submitted_at",
        "days_late",
        "baseline",
        "mine",
    }
    assert (row["submission_id"], row["metrics"]) == (submission.pk, {"accuracy": 0.9})
