"""What the API, the portal and the dashboard call to create, rejudge and select submissions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from courses.models import Assignment
from courses.roles import AnyUser, is_mentor
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from submissions.history import record_judging
from submissions.models import Status, Submission
from submissions.queue import enqueue_grading, queue_of
from submissions.reports import infrastructure_report
from submissions.upload_verdict import Rejection, upload_verdict
from submissions.uploads import (
    SubmissionRefused,
    check_in_flight,
    check_schedule,
    check_upload,
    record_lateness,
)
from submissions.versions import grader_version

log = logging.getLogger(__name__)

__all__ = [
    "SubmissionRefused",
    "create_submission",
    "quota_left",
    "rejudge",
    "set_selected",
]


def create_submission(user: AnyUser, assignment: Assignment, uploaded: UploadedFile) -> Submission:
    """Checks the upload and the quota, stores the file, creates the row, grades after commit."""
    if not user.is_authenticated:
        raise SubmissionRefused("Log in to submit.", http_status=401)
    window = check_schedule(user, assignment)
    checked = check_upload(
        uploaded.file, uploaded.name or "", uploaded.size or 0, assignment.max_upload_bytes
    )
    # Outside the lock: the capped parse takes up to a second on a hostile file.
    rejection = upload_verdict(assignment, uploaded.file, checked.extension)
    with transaction.atomic():
        # Locks the mentee's row so two simultaneous uploads cannot both pass the quota.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        _check_quota(user, assignment)
        if rejection is None:  # a rejected upload is never in flight
            check_in_flight(user, assignment)
        submission = Submission(
            assignment=assignment,
            owner=user,
            sha256=checked.sha256,
            original_filename=(uploaded.name or "")[-255:],
            size_bytes=checked.size,
        )
        _store(submission, uploaded)
        now = timezone.now()
        submission.queue = queue_of(assignment)
        submission.enqueued_at = submission.queued_at = now
        if rejection is not None:
            _reject_at_upload(submission, rejection, now)
            return submission
        submission.save()
        record_lateness(submission, window)
        enqueue_grading(submission)
    return submission


def _reject_at_upload(submission: Submission, rejection: Rejection, now: datetime) -> None:
    """The stored row is final at once, with the report the worker's intake would write."""
    report = {**infrastructure_report(rejection.kind, rejection.message), "status": "rejected"}
    submission.status = Status.REJECTED
    submission.report = report
    submission.error_kind = rejection.kind
    submission.error_message = report["error"]["message"]
    submission.finished_at = now  # never started: it takes no worker's turn (fairness)
    submission.bundle_hash = submission.assignment.bundle_hash
    submission.grader_version = grader_version()
    submission.save()
    record_judging(
        submission,
        status=Status.REJECTED,
        report=report,
        score=None,
        origin="upload",
        started_at=now,
        finished_at=now,
    )


def _store(submission: Submission, uploaded: UploadedFile) -> None:
    """Atomic (see storage): a failed write leaves neither a row nor a partial file."""
    try:
        submission.file.save(uploaded.name or "upload", uploaded.file, save=False)
    except OSError as exc:
        log.error("could not store an upload: %s", exc)
        raise SubmissionRefused(
            "The server could not store your file right now (its disk may be full); "
            "nothing was recorded, try again later.",
            http_status=503,
        ) from exc


def quota_left(user: AnyUser, assignment: Assignment) -> int:
    used = Submission.objects.counting_against_quota(user, assignment).count()
    return max(0, assignment.daily_quota - used)


def _check_quota(user: AnyUser, assignment: Assignment) -> None:
    if is_mentor(user):
        return
    recent = Submission.objects.counting_against_quota(user, assignment).order_by("created_at")
    if recent.count() < assignment.daily_quota:
        return
    oldest = recent.first()
    next_at = (oldest.created_at if oldest else timezone.now()) + timedelta(days=1)
    raise SubmissionRefused(
        f"You have used all {assignment.daily_quota} submissions allowed in 24 hours for "
        f"{assignment.title}; the next one is possible at {next_at:%Y-%m-%d %H:%M} UTC.",
        http_status=429,
    )


def rejudge(submission: Submission, seen_judging: int | None = None) -> bool:
    """Grades a finished submission again; see ``submissions.rejudge``."""
    from submissions.rejudge import rejudge_one

    return rejudge_one(submission, seen_judging=seen_judging)


def set_selected(submission: Submission, selected: bool) -> None:
    """Marks a scored submission for the private leaderboard (``leaderboards.selection``: the
    limit is checked under row locks and the pick is final at the deadline)."""
    from leaderboards.selection import set_selected as select

    select(submission, selected)
