"""Mentors rejudge finished submissions; mentees select what counts on the private board."""

from __future__ import annotations

import pytest
from leaderboards.models import LeaderboardEntry
from leaderboards.services import update_entry
from platform_testkit import make_submission
from submissions.models import Status
from submissions.services import SubmissionRefused, rejudge, set_selected


def test_rejudge_puts_a_finished_submission_back_in_the_queue(  # type: ignore[no-untyped-def]
    mentee_a, assignment, django_capture_on_commit_callbacks
):
    submission = make_submission(
        mentee_a, assignment, status=Status.ERROR, infra_failures=3, attempt=3
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert rejudge(submission) is True
    assert len(callbacks) == 1
    submission.refresh_from_db()
    assert (submission.status, submission.infra_failures, submission.attempt) == (
        Status.QUEUED,
        0,
        0,
    )


def test_rejudge_leaves_a_running_submission_alone(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(mentee_a, assignment, status=Status.RUNNING, claim_token="abc")
    assert rejudge(submission) is False
    submission.refresh_from_db()
    assert (submission.status, submission.claim_token) == (Status.RUNNING, "abc")


def test_selection_is_limited_and_moves_the_private_entry(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assert assignment.max_selected == 1
    best = make_submission(mentee_a, assignment, status=Status.SCORED, score=90.0)
    other = make_submission(mentee_a, assignment, status=Status.SCORED, score=60.0)
    update_entry(assignment, mentee_a)
    set_selected(other, True)
    entry = LeaderboardEntry.objects.get(user=mentee_a)
    assert entry.public_submission_id == best.pk and entry.private_submission_id == other.pk
    with pytest.raises(SubmissionRefused, match="at most 1"):
        set_selected(best, True)
    set_selected(other, False)
    entry.refresh_from_db()
    assert entry.private_submission_id == best.pk


def test_only_a_scored_submission_can_be_selected(mentee_a, assignment):  # type: ignore[no-untyped-def]
    failed = make_submission(mentee_a, assignment, status=Status.FAILED)
    with pytest.raises(SubmissionRefused, match="Only a scored"):
        set_selected(failed, True)
