"""One grading attempt: claim the row, run the grader, store exactly one outcome.

Every write after the claim is fenced by the claim token, so an attempt that was presumed dead
(and re-claimed by another worker) can never overwrite the report that stands.
"""

from __future__ import annotations

import errno
import logging
import uuid
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from leaderboards.services import update_entry

from grader.cli import EXIT_PERMANENT
from submissions.fairness import next_in_line
from submissions.grader_subprocess import GraderRun, run_grader
from submissions.history import record_judging
from submissions.models import Status, Submission
from submissions.queue import row_queue, send_grading
from submissions.reports import MalformedReport, infrastructure_report, parse_report
from submissions.storage import StoredUploadCorrupt
from submissions.versions import grader_version

log = logging.getLogger(__name__)


def claim(submission_id: int) -> Submission | None:
    """Takes a turn in the queue of ``submission_id``'s message: claims the row the fair order
    puts first there (``submissions.fairness``; usually the message's own row), else the
    message's row itself. Returns None when there is nothing left to grade."""
    for candidate in _turn_candidates(submission_id):
        claimed = _claim_row(candidate)
        if claimed is not None:
            return claimed
    return None


def _turn_candidates(submission_id: int) -> list[int]:
    row = Submission.objects.filter(pk=submission_id).values_list("status", "queue").first()
    if row is None:
        return []
    status, queue = row
    # A running row's message re-claims it if its worker was lost (its heartbeat stopped).
    # Otherwise every message is a turn, even a running or finished row's: a fairer run may
    # have been graded in its place earlier, and the run that turn is owed to waits.
    first = [submission_id] if status == Status.RUNNING else []
    return [c for c in dict.fromkeys((*first, next_in_line(queue), submission_id)) if c]


def _claim_row(submission_id: int) -> Submission | None:
    """queued -> running, or re-claims a running row whose worker stopped its heartbeat.
    Returns None when another worker holds it, it is finished, or it no longer exists."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.ARENA_GRADING_LEASE)
    token = uuid.uuid4().hex
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=stale)
    # A row waiting out a retry back-off is not claimable before its time.
    due = Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now)
    claimed = Submission.objects.filter(claimable, due, pk=submission_id).update(
        status=Status.RUNNING,
        claim_token=token,
        attempt=F("attempt") + 1,
        started_at=now,
        heartbeat_at=now,
    )
    if not claimed:
        return None
    return (
        Submission.objects.select_related("assignment", "owner")
        .filter(pk=submission_id, claim_token=token)
        .first()
    )


def heartbeat(submission: Submission) -> bool:
    """Renews the lease; False when the row was re-claimed or rejudged meanwhile."""
    return bool(
        Submission.objects.filter(
            pk=submission.pk, status=Status.RUNNING, claim_token=submission.claim_token
        ).update(heartbeat_at=timezone.now())
    )


def grade(submission_id: int) -> str | None:
    """The whole attempt; returns the status it left the row in (None: nothing to do)."""
    submission = claim(submission_id)
    if submission is None:
        return None
    if submission.attempt > settings.ARENA_GRADING_MAX_ATTEMPTS:
        # Every earlier attempt lost its worker (killed, out of memory): stop trying.
        message = f"the worker grading it was lost {submission.attempt - 1} times"
        return _finish(
            submission, Status.ERROR, infrastructure_report("worker_lost", message), None
        )
    log.info("grading submission %s (attempt %s)", submission.pk, submission.attempt)
    try:
        return _grade_claimed(submission)
    except DatabaseError:
        raise  # nothing can be recorded now; the task retries once the database answers
    except StoredUploadCorrupt as exc:
        # The stored bytes are not the mentee's upload: grading again cannot help.
        return _finish(submission, Status.ERROR, infrastructure_report("storage", str(exc)), None)
    except Exception as exc:
        # A worker-side failure (full disk, unreadable bundle, a bug while recording) ends the
        # attempt now, with its cause, instead of leaving the row running until its lease expires.
        log.exception("submission %s: the worker failed", submission.pk)
        return _infrastructure_failure(
            submission, infrastructure_report("worker", worker_failure_message(exc))
        )


def _grade_claimed(submission: Submission) -> str | None:
    run = run_grader(submission, keep_alive=lambda: heartbeat(submission))
    if run.lease_lost:
        log.warning("submission %s was re-claimed while this worker graded it", submission.pk)
        return None
    return record(submission, run)


def worker_failure_message(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"the worker's disk is full ({exc.filename or 'its work folder'})"
    return f"the worker failed while grading: {type(exc).__name__}: {exc}"


def record(submission: Submission, run: GraderRun) -> str | None:
    if run.exit_code == EXIT_PERMANENT and not run.timed_out:
        # The grader says running again cannot help (a broken bundle): an error at once, not
        # ARENA_GRADING_MAX_ATTEMPTS gradings of the same broken bundle.
        tail = run.stderr.strip()[-1500:]
        report = infrastructure_report("grader", f"the grader cannot grade this: {tail}")
        return _finish(submission, Status.ERROR, report, None)
    problem = _infrastructure_problem(run)
    if problem is not None:
        return _infrastructure_failure(submission, infrastructure_report(*problem))
    try:
        parsed = parse_report(run.stdout)
    except MalformedReport as exc:
        return _infrastructure_failure(submission, infrastructure_report("grader", str(exc)))
    if parsed.status == Status.ERROR:
        return _infrastructure_failure(submission, parsed.data)
    return _finish(submission, parsed.status, parsed.data, parsed.score)


def _infrastructure_problem(run: GraderRun) -> tuple[str, str] | None:
    if run.timed_out:
        return ("timeout", f"grading took longer than {settings.ARENA_GRADING_TIMEOUT} s")
    if run.exit_code != 0:
        tail = run.stderr.strip()[-1500:]
        return ("grader", f"the grader exited with status {run.exit_code}: {tail}")
    return None


def _finish(
    submission: Submission, status: str, report: dict[str, Any], score: float | None
) -> str | None:
    error = report.get("error") or {}
    now = timezone.now()
    submission.grader_version = grader_version()
    with transaction.atomic():
        written = Submission.objects.filter(
            pk=submission.pk, status=Status.RUNNING, claim_token=submission.claim_token
        ).update(
            status=status,
            report=report,
            score=score if status == Status.SCORED else None,
            error_kind=error.get("kind", ""),
            error_message=error.get("message", ""),
            finished_at=now,
            claim_token="",
            bundle_hash=submission.assignment.bundle_hash,
            grader_version=submission.grader_version,
        )
        if not written:
            return None
        record_judging(
            submission,
            status=status,
            report=report,
            score=score,
            origin="worker" if submission.judging <= 1 else "rejudge",
            started_at=submission.started_at,
            finished_at=now,
        )
        update_entry(submission.assignment, submission.owner)
    log.info("submission %s: %s (score %s)", submission.pk, status, score)
    return status


def _infrastructure_failure(submission: Submission, report: dict[str, Any]) -> str | None:
    """Not the mentee's fault: retried with backoff a bounded number of times, then `error`."""
    failures = submission.infra_failures + 1
    if failures >= settings.ARENA_GRADING_MAX_ATTEMPTS:
        Submission.objects.filter(pk=submission.pk).update(infra_failures=failures)
        return _finish(submission, Status.ERROR, report, None)
    delay = settings.ARENA_RETRY_BACKOFF * 2 ** (failures - 1)
    error = report.get("error") or {}
    with transaction.atomic():
        written = Submission.objects.filter(
            pk=submission.pk, status=Status.RUNNING, claim_token=submission.claim_token
        ).update(
            status=Status.QUEUED,
            claim_token="",
            dispatched_at=None,
            infra_failures=failures,
            enqueued_at=timezone.now() + timedelta(seconds=delay),
            error_kind=error.get("kind", ""),
            error_message=error.get("message", ""),
        )
        if written:
            # The attempt that broke is history too (mentors see why it was retried).
            submission.grader_version = grader_version()
            record_judging(
                submission,
                status=Status.ERROR,
                report=report,
                score=None,
                origin="retry",
                started_at=submission.started_at,
            )
            queue = row_queue(submission)
            transaction.on_commit(lambda: send_grading(submission.pk, queue, delay))
    log.warning(
        "submission %s: infrastructure error (%s), retry %s in %s s",
        submission.pk,
        error.get("message", ""),
        failures,
        delay,
    )
    return Status.QUEUED if written else None


def requeue_stalled() -> list[int]:
    """Running rows whose worker stopped its heartbeat go back to the outbox (queued, not
    dispatched). Clearing the claim token fences the lost worker should it wake up."""
    requeued = []
    for submission_id in Submission.objects.stalled().values_list("pk", flat=True):
        if (
            Submission.objects.stalled()
            .filter(pk=submission_id)
            .update(
                status=Status.QUEUED,
                claim_token="",
                dispatched_at=None,
                enqueued_at=timezone.now(),
            )
        ):
            requeued.append(submission_id)
    if requeued:
        log.warning("re-queued submissions whose worker was lost: %s", requeued)
    return requeued


def recover_stalled(resend_all_queued: bool = False) -> list[int]:
    """Puts back on the queue what a dead worker left: running rows without heartbeat, rows
    still in the outbox, and queued rows whose message may have been lost with a broker (all
    of them when a worker starts). Sending twice is harmless: a row is claimed once."""
    now = timezone.now()
    requeue_stalled()
    waiting = Submission.objects.filter(status=Status.QUEUED).select_related("assignment")
    if not resend_all_queued:
        cutoff = now - timedelta(seconds=settings.ARENA_BROKER_RESEND_AFTER)
        waiting = waiting.filter(
            Q(dispatched_at__isnull=True) | Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)
        )
    resend = []
    for submission in waiting:
        due = submission.enqueued_at or now
        # Touching enqueued_at spaces out resends of a row that simply waits in a long queue.
        if Submission.objects.filter(pk=submission.pk, status=Status.QUEUED).update(
            enqueued_at=max(now, due)
        ):
            countdown = max(0, int((due - now).total_seconds()))
            resend.append((submission.pk, row_queue(submission), countdown))
    for submission_id, queue, countdown in resend:
        transaction.on_commit(partial(send_grading, submission_id, queue, countdown))
    return [submission_id for submission_id, _, _ in resend]
