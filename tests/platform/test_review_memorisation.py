"""The memorisation audit on the platform (issue 11, class 2): a report the grader flags
``memorisation`` is held, earns no rank and no grade until a mentor clears it on the dashboard's
review queue; the decision is audited (who, when) and holds only for the report it was made on.
Also run on PostgreSQL by test_board_on_postgresql.py."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from leaderboards.models import RankReview
from leaderboards.services import leaderboard, update_entry
from platform_testkit import PLATFORM_TESTS, make_submission
from rest_framework.test import APIClient
from submissions.models import Status, Submission
from submissions.reports import parse_report

WEEK3_TEXT = (PLATFORM_TESTS / "reports" / "week3-cnn.json").read_text()


def flagged_report(score: float = 100.0) -> dict[str, Any]:
    """The real week 3 report as the grader sends it when its audit fires, read by the
    platform's own parser (which keeps only the flags it knows)."""
    return real_report(score, ["memorisation", "not_a_known_flag"])


def real_report(score: float, flags: list[str] | None = None) -> dict[str, Any]:
    raw = json.loads(WEEK3_TEXT)
    if flags:
        raw["flags"] = flags
    raw["score"] = score
    raw["metrics"] = {**raw["metrics"], "public_score": score, "private_score": score}
    return parse_report(json.dumps(raw)).data


def graded(owner, assignment, report: dict[str, Any]) -> Submission:  # type: ignore[no-untyped-def]
    submission = make_submission(
        owner, assignment, status=Status.SCORED, score=report["score"], report=report
    )
    update_entry(assignment, owner)
    return submission


def board_users(assignment, viewer) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(r["user"], r["score"]) for r in leaderboard(assignment, False, viewer)]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_parser_keeps_only_known_flags() -> None:
    assert flagged_report()["flags"] == ["memorisation"]
    assert parse_report(WEEK3_TEXT).data["flags"] == []


def test_a_flagged_submission_is_held_and_earns_no_rank(mentee_a, mentee_b, assignment) -> None:  # type: ignore[no-untyped-def]
    honest = graded(mentee_a, assignment, real_report(60.0))
    held = graded(mentee_a, assignment, flagged_report(100.0))
    graded(mentee_b, assignment, flagged_report(100.0))
    # Only alice's unflagged run ranks; bob's only run is held, so bob is not on the board.
    assert board_users(assignment, mentee_b) == [("alice", 60.0)]
    body = APIClient()
    body.force_authenticate(mentee_a)
    review = body.get(f"/api/v1/submissions/{held.pk}/").json()["review"]
    assert review["state"] == "held" and review["message"].startswith("Held for review")
    page = logged_in(mentee_a).get(f"/submissions/{held.pk}/").content.decode()
    assert "Held for review" in page
    assert body.get(f"/api/v1/submissions/{honest.pk}/").json()["review"] is None


def test_a_mentor_clears_it_from_the_review_queue_and_it_ranks(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    held = graded(mentee_a, assignment, flagged_report(100.0))
    client = logged_in(mentor)
    queue = client.get("/dashboard/review/").content.decode()
    assert f'id="held-{held.pk}"' in queue
    assert logged_in(mentee_a).get("/dashboard/review/").status_code == 403
    answer = client.post(
        f"/dashboard/review/{held.pk}/", {"decision": "cleared", "note": "trained honestly"}
    )
    assert answer.status_code == 302
    decision = RankReview.objects.get(submission=held)
    assert (decision.decision, decision.decided_by, decision.note) == (
        "cleared",
        mentor,
        "trained honestly",
    )
    assert decision.decided_at is not None
    assert board_users(assignment, mentee_b) == [("alice", 100.0)]
    after = client.get("/dashboard/review/").content.decode()
    assert f'id="held-{held.pk}"' not in after and "trained honestly" in after


def test_a_confirmed_submission_never_ranks_nor_counts_in_the_grades(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    held = graded(mentee_a, assignment, flagged_report(100.0))
    logged_in(mentor).post(f"/dashboard/review/{held.pk}/", {"decision": "confirmed"})
    assert board_users(assignment, mentee_b) == []
    csv = logged_in(mentor).get("/dashboard/grades.csv").content.decode()
    assert "100.00" not in csv
    body = APIClient()
    body.force_authenticate(mentee_a)
    assert body.get(f"/api/v1/submissions/{held.pk}/").json()["review"]["state"] == "confirmed"


def test_only_mentors_decide_and_only_on_flagged_reports(mentee_a, mentor, assignment) -> None:  # type: ignore[no-untyped-def]
    held = graded(mentee_a, assignment, flagged_report())
    clean = graded(mentee_a, assignment, parse_report(WEEK3_TEXT).data)
    assert logged_in(mentee_a).post(f"/dashboard/review/{held.pk}/", {"decision": "cleared"})
    logged_in(mentor).post(f"/dashboard/review/{clean.pk}/", {"decision": "cleared"})
    logged_in(mentor).post(f"/dashboard/review/{held.pk}/", {"decision": "whatever"})
    assert RankReview.objects.count() == 0


def test_a_new_report_flagged_again_needs_a_new_decision(
    mentee_a, mentee_b, mentor, assignment
) -> None:  # type: ignore[no-untyped-def]
    held = graded(mentee_a, assignment, flagged_report(100.0))
    logged_in(mentor).post(f"/dashboard/review/{held.pk}/", {"decision": "cleared"})
    assert board_users(assignment, mentee_b) == [("alice", 100.0)]
    # A rejudge writes a different report that is flagged again.
    Submission.objects.filter(pk=held.pk).update(report=flagged_report(99.0), score=99.0)
    update_entry(assignment, mentee_a)
    assert board_users(assignment, mentee_b) == []
