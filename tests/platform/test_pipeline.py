"""The grading pipeline against the real database: claim, fence, record, retry, recover.

A `GraderRun` is the record the subprocess supervisor returns; building one here feeds
`pipeline.record` exactly what the grader process would have printed.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from leaderboards.models import LeaderboardEntry
from platform_testkit import make_submission
from submissions import pipeline
from submissions.grader_subprocess import GraderRun
from submissions.models import Status, Submission


def report(status: str = "scored", score: float | None = 100.0, error=None, **extra) -> str:  # type: ignore[no-untyped-def]
    data = {
        "status": status,
        "score": score,
        "checks": [
            {"name": "add", "passed": True, "points": 50.0, "max_points": 50.0, "message": ""}
        ],
        "metrics": {},
        "error": error,
        "logs": "public stage ok\n",
        "timings": {"total_s": 1.5},
    }
    data.update(extra)
    return json.dumps(data)


def finished_run(stdout: str, exit_code: int = 0, stderr: str = "") -> GraderRun:
    return GraderRun(exit_code=exit_code, stdout=stdout, stderr=stderr, duration_s=1.0)


@pytest.fixture
def queued(mentee_a, assignment):  # type: ignore[no-untyped-def]
    return make_submission(mentee_a, assignment, enqueued_at=timezone.now())


def test_it_claims_a_queued_submission_once(queued):  # type: ignore[no-untyped-def]
    first = pipeline.claim(queued.pk)
    assert first is not None and first.status == Status.RUNNING and first.attempt == 1
    assert pipeline.claim(queued.pk) is None


def test_it_reclaims_a_running_submission_whose_heartbeat_stopped(queued, settings):  # type: ignore[no-untyped-def]
    dead = pipeline.claim(queued.pk)
    Submission.objects.filter(pk=queued.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.ARENA_GRADING_LEASE + 1)
    )
    second = pipeline.claim(queued.pk)
    assert second is not None and second.attempt == 2
    assert second.claim_token != dead.claim_token
    # The presumed-dead attempt can neither renew its lease nor write its outcome.
    assert pipeline.heartbeat(dead) is False
    assert pipeline.record(dead, finished_run(report(score=10.0))) is None
    assert pipeline.record(second, finished_run(report(score=90.0))) == Status.SCORED
    queued.refresh_from_db()
    assert (queued.status, queued.score, queued.attempt) == (Status.SCORED, 90.0, 2)


def test_it_does_not_claim_a_submission_waiting_out_its_backoff(queued):  # type: ignore[no-untyped-def]
    Submission.objects.filter(pk=queued.pk).update(
        enqueued_at=timezone.now() + timedelta(minutes=5)
    )
    assert pipeline.claim(queued.pk) is None


def test_it_returns_quietly_when_the_row_is_gone(queued):  # type: ignore[no-untyped-def]
    queued.delete()
    assert pipeline.grade(queued.pk) is None


def test_it_stores_a_scored_report_and_updates_the_leaderboard(queued):  # type: ignore[no-untyped-def]
    claimed = pipeline.claim(queued.pk)
    assert pipeline.record(claimed, finished_run(report(score=75.5))) == Status.SCORED
    queued.refresh_from_db()
    assert queued.score == 75.5 and queued.finished_at is not None
    assert queued.report["logs"] == "public stage ok\n"
    entry = LeaderboardEntry.objects.get(assignment=queued.assignment, user=queued.owner)
    assert (entry.public_submission_id, entry.public_score) == (queued.pk, 75.5)


@pytest.mark.parametrize("verdict", ["failed", "rejected"])
def test_it_stores_the_mentees_fault_without_retrying(queued, verdict):  # type: ignore[no-untyped-def]
    claimed = pipeline.claim(queued.pk)
    error = {"kind": "syntax", "message": "Line 1 of submission.py is not valid Python."}
    assert pipeline.record(claimed, finished_run(report(verdict, None, error))) == verdict
    queued.refresh_from_db()
    assert (queued.status, queued.error_kind, queued.infra_failures) == (verdict, "syntax", 0)
    assert queued.score is None
    assert not LeaderboardEntry.objects.exists()


@pytest.mark.parametrize(
    "run",
    [
        finished_run("", exit_code=2, stderr="Traceback: grader crashed"),
        finished_run("not json at all"),
        finished_run(report("error", None, {"kind": "sandbox", "message": "bwrap failed"})),
        finished_run(json.dumps({"status": "scored"})),  # not the contract's shape
    ],
    ids=["exit-code", "garbage", "error-report", "wrong-shape"],
)
def test_it_retries_an_infrastructure_error_with_backoff(  # type: ignore[no-untyped-def]
    queued, run, settings, django_capture_on_commit_callbacks
):
    claimed = pipeline.claim(queued.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert pipeline.record(claimed, run) == Status.QUEUED
    assert len(callbacks) == 1  # the retry is sent only once the row says so
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED and queued.infra_failures == 1
    assert queued.enqueued_at >= timezone.now() + timedelta(
        seconds=settings.ARENA_RETRY_BACKOFF - 5
    )


def test_it_gives_up_after_the_last_attempt(queued, settings):  # type: ignore[no-untyped-def]
    Submission.objects.filter(pk=queued.pk).update(
        infra_failures=settings.ARENA_GRADING_MAX_ATTEMPTS - 1
    )
    claimed = pipeline.claim(queued.pk)
    outcome = pipeline.record(claimed, finished_run("", exit_code=1, stderr="no sandbox"))
    assert outcome == Status.ERROR
    queued.refresh_from_db()
    assert queued.status == Status.ERROR and queued.error_kind == "grader"
    assert "no sandbox" in queued.error_message


def test_it_stops_after_losing_too_many_workers(queued, settings):  # type: ignore[no-untyped-def]
    Submission.objects.filter(pk=queued.pk).update(attempt=settings.ARENA_GRADING_MAX_ATTEMPTS)
    assert pipeline.grade(queued.pk) == Status.ERROR
    queued.refresh_from_db()
    assert (queued.status, queued.error_kind) == (Status.ERROR, "worker_lost")


def test_it_treats_a_grader_timeout_as_infrastructure(queued):  # type: ignore[no-untyped-def]
    claimed = pipeline.claim(queued.pk)
    run = GraderRun(exit_code=None, stdout="", stderr="", duration_s=9.0, timed_out=True)
    assert pipeline.record(claimed, run) == Status.QUEUED
    queued.refresh_from_db()
    assert queued.error_kind == "timeout"


def test_recovery_resends_stalled_and_old_queued_rows(  # type: ignore[no-untyped-def]
    mentee_a, assignment, settings, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(seconds=settings.ARENA_BROKER_RESEND_AFTER + 60)
    stalled = make_submission(mentee_a, assignment, status=Status.RUNNING, heartbeat_at=long_ago)
    lost = make_submission(mentee_a, assignment, enqueued_at=long_ago)
    fresh = make_submission(
        mentee_a, assignment, enqueued_at=timezone.now(), dispatched_at=timezone.now()
    )
    outbox = make_submission(mentee_a, assignment, enqueued_at=timezone.now())
    alive = make_submission(
        mentee_a, assignment, status=Status.RUNNING, heartbeat_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sorted(pipeline.recover_stalled()) == sorted([stalled.pk, lost.pk, outbox.pk])
    assert len(callbacks) == 3
    stalled.refresh_from_db()  # back in the outbox, its lost worker fenced off
    assert (stalled.status, stalled.claim_token, stalled.dispatched_at) == (Status.QUEUED, "", None)
    everything = pipeline.recover_stalled(resend_all_queued=True)
    assert sorted(everything) == sorted([stalled.pk, lost.pk, fresh.pk, outbox.pk])
    assert alive.pk not in everything


def test_a_worker_side_exception_ends_the_attempt_at_once_with_its_cause(  # type: ignore[no-untyped-def]
    queued, settings, django_capture_on_commit_callbacks
):
    (settings.MEDIA_ROOT / queued.file.name).unlink()  # the stored upload is gone
    with django_capture_on_commit_callbacks(execute=False):
        assert pipeline.grade(queued.pk) == Status.QUEUED  # retried later, not left running
    queued.refresh_from_db()
    assert (queued.status, queued.error_kind, queued.claim_token) == (Status.QUEUED, "worker", "")
    assert "FileNotFoundError" in queued.error_message


def test_a_broken_bundle_is_an_error_at_once_not_graded_again(  # type: ignore[no-untyped-def]
    queued, tmp_path, django_capture_on_commit_callbacks
):
    # The real grader on a bundle with a misspelt key: a permanent error (exit 3), which the
    # pipeline records at once instead of retrying ARENA_GRADING_MAX_ATTEMPTS times.
    import shutil
    import subprocess
    import sys

    from django.conf import settings
    from platform_testkit import BUNDLES

    broken = tmp_path / "platform-smoke"
    shutil.copytree(BUNDLES / "platform-smoke", broken)
    manifest = broken / "assignment.toml"
    manifest.write_text(manifest.read_text().replace("daily_quota", "daily_qouta"))
    upload = broken / "solution" / "submission.py"
    process = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "--assignment", str(broken), "--submission",
         str(upload), "--json", "--sandbox", "none"],
        cwd=settings.REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    run = finished_run(process.stdout, process.returncode, process.stderr)
    claimed = pipeline.claim(queued.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert pipeline.record(claimed, run) == Status.ERROR, process.stderr
    assert callbacks == []  # nothing sent again
    queued.refresh_from_db()
    assert (queued.status, queued.infra_failures, queued.error_kind) == (
        Status.ERROR, 0, "grader"
    )
    assert "daily_qouta" in queued.error_message
