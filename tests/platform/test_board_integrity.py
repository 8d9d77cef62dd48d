"""Leaderboard integrity against real PostgreSQL (issues 13 and 14): the private pick is final at
the deadline and at the reveal, ``max_selected`` holds under concurrent selects, two runs of one
mentee finishing at once never leave the lower score, a rejudge never drops a mentee from the
board, and after the reveal the private board shows the private split's metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from leaderboards.models import LeaderboardEntry
from leaderboards.services import leaderboard, update_entry
from platform_testkit import PLATFORM_TESTS, make_submission
from rest_framework.test import APIClient
from submissions import pipeline
from submissions.models import Status, Submission
from submissions.reports import parse_report
from submissions.services import SubmissionRefused, rejudge, set_selected

# SQLite has no row locks (a writer locks the whole file): the concurrent tests run on the real
# PostgreSQL through test_board_on_postgresql.py, which runs this whole file there.
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="row locks: run on PostgreSQL by test_board_on_postgresql.py"
)
WEEK3 = parse_report((PLATFORM_TESTS / "reports" / "week3-cnn.json").read_text()).data


def report_of(score: float) -> dict[str, Any]:
    """The real week 3 report with its scores set to ``score``."""
    metrics = {**WEEK3["metrics"], "public_score": score, "private_score": score}
    return {**WEEK3, "score": score, "metrics": metrics}


def scored(owner, assignment, score: float, **fields: Any) -> Submission:  # type: ignore[no-untyped-def]
    return make_submission(
        owner, assignment, status=Status.SCORED, score=score, report=report_of(score), **fields
    )


def in_threads(*targets: Callable[[], None]) -> list[BaseException]:
    """Runs each target in its own thread and database connection, all released at once."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # noqa: BLE001 - collected for the test to inspect
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_selects_never_exceed_max_selected(mentee_a, assignment) -> None:  # type: ignore[no-untyped-def]
    assignment.max_selected = 1
    assignment.save()
    for _ in range(3):  # rounds: a race lost once would show
        Submission.objects.filter(owner=mentee_a).update(selected=False)
        subs = [scored(mentee_a, assignment, 50.0 + i) for i in range(4)]
        errors = in_threads(*(lambda s=s: set_selected(s, True) for s in subs))
        assert Submission.objects.filter(owner=mentee_a, selected=True).count() == 1
        assert len(errors) == 3 and all(isinstance(e, SubmissionRefused) for e in errors)


def finish_and_hold(submission: Submission, score: float, hold_s: float, done: threading.Event):  # type: ignore[no-untyped-def]
    """The pipeline's own final write, inside a transaction kept open ``hold_s`` seconds (a
    slow commit on a loaded database)."""

    def run() -> None:
        with transaction.atomic():
            pipeline._finish(submission, Status.SCORED, report_of(score), score)
            done.set()
            time.sleep(hold_s)

    return run


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_finishing_at_once_never_leave_the_lower_score(mentee_a, assignment) -> None:  # type: ignore[no-untyped-def]
    """The interleaving of issue 14 (80 kept, 100 scored): the 100 run's transaction is still
    open when the 80 run recomputes the entry. The 80 run waits for the lock on the mentee's
    row and then sees the 100."""
    scored(mentee_a, assignment, 50.0)
    update_entry(assignment, mentee_a)
    high, low = (
        make_submission(mentee_a, assignment, status=Status.RUNNING, claim_token=token)
        for token in ("high", "low")
    )
    high_written = threading.Event()
    low_run = finish_and_hold(low, 80.0, 0.0, threading.Event())

    def low_after_high() -> None:
        assert high_written.wait(10)
        low_run()

    errors = in_threads(finish_and_hold(high, 100.0, 1.0, high_written), low_after_high)
    assert errors == []
    entry = LeaderboardEntry.objects.get(assignment=assignment, user=mentee_a)
    assert (entry.public_score, entry.public_submission_id) == (100.0, high.pk)


def test_a_mentee_stays_on_the_board_through_a_rejudge(mentee_a, mentee_b, assignment) -> None:  # type: ignore[no-untyped-def]
    best = scored(mentee_a, assignment, 90.0)
    update_entry(assignment, mentee_a)
    assert rejudge(best) is True
    # Another of their runs finishes while the rejudge waits, then while it runs.
    make_submission(mentee_a, assignment, status=Status.FAILED)
    update_entry(assignment, mentee_a)
    assert [(r["user"], r["score"]) for r in leaderboard(assignment, False, mentee_b)] == [
        ("alice", 90.0)
    ]
    Submission.objects.filter(pk=best.pk).update(status=Status.RUNNING, claim_token="t")
    update_entry(assignment, mentee_a)
    assert [r["score"] for r in leaderboard(assignment, False, mentee_b)] == [90.0]
    # The new report lands: it counts, whatever it says.
    best.refresh_from_db()
    pipeline._finish(best, Status.SCORED, report_of(70.0), 70.0)
    assert [r["score"] for r in leaderboard(assignment, False, mentee_b)] == [70.0]


def test_the_pick_is_final_after_the_deadline(mentee_a, assignment) -> None:  # type: ignore[no-untyped-def]
    first, second = scored(mentee_a, assignment, 60.0), scored(mentee_a, assignment, 70.0)
    set_selected(first, True)
    assignment.deadline = timezone.now() - timedelta(seconds=1)
    assignment.save()
    for submission, selected in ((first, False), (second, True)):
        with pytest.raises(SubmissionRefused, match="final") as refused:
            set_selected(submission, selected)
        assert refused.value.http_status == 409
    assert list(Submission.objects.filter(selected=True).values_list("pk", flat=True)) == [first.pk]
    client = APIClient()
    client.force_authenticate(mentee_a)
    answer = client.post(f"/api/v1/submissions/{second.pk}/select/", {"selected": True})
    assert answer.status_code == 409


def test_the_pick_is_final_after_the_reveal(mentee_a, assignment) -> None:  # type: ignore[no-untyped-def]
    """A mentor may set the deadline back after revealing: the pick stays final."""
    submission = scored(mentee_a, assignment, 60.0)
    assignment.private_revealed = True
    assignment.deadline = timezone.now() + timedelta(days=1)
    assignment.save()
    with pytest.raises(SubmissionRefused, match="revealed"):
        set_selected(submission, True)


def test_after_the_reveal_the_private_board_shows_private_metrics(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    submission = scored(mentee_a, assignment, 100.0)
    update_entry(assignment, mentee_a)
    assignment.deadline = timezone.now() - timedelta(seconds=1)
    assignment.private_revealed = True
    assignment.save()
    (row,) = leaderboard(assignment, private=True, viewer=mentee_b)
    stored = submission.metrics
    assert row["metrics"]["cnn/accuracy"] == stored["cnn/private_accuracy"]
    assert row["metrics"]["accuracy"] == stored["private_accuracy"]
    assert stored["cnn/private_accuracy"] != stored["cnn/accuracy"]
    assert not [key for key in row["metrics"] if "private" in key]
    (public_row,) = leaderboard(assignment, private=False, viewer=mentee_b)
    assert public_row["metrics"]["cnn/accuracy"] == stored["cnn/accuracy"]
