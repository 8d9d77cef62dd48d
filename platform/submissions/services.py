"""What the API, the portal and the dashboard call to create, rejudge and select submissions."""

from __future__ import annotations

import logging
from datetime import timedelta

from courses.models import Assignment
from courses.roles import AnyUser, is_mentor
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from submissions.models import Status, Submission
from submissions.queue import enqueue_grading
from submissions.uploads import (
    SubmissionRefused,
    check_in_flight,
    check_schedule,
    check_upload,
    record_lateness,
)

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
    with transaction.atomic():
        # Locks the mentee's row so two simultaneous uploads cannot both pass the quota.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        _check_quota(user, assignment)
        check_in_flight(user, assignment)
        submission = Submission(
            assignment=assignment,
            owner=user,
            sha256=checked.sha256,
            original_filename=(uploaded.name or "")[-255:],
            size_bytes=checked.size,
        )
        _store(submission, uploaded)
        submission.enqueued_at = timezone.now()
        submission.save()
        record_lateness(submission, window)
        enqueue_grading(submission)
    return submission


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


def rejudge(submission: Submission) -> bool:
    """Grades a finished submission again (after a bundle fix or an infrastructure error).
    Returns False when it is still queued or running: it will be graded anyway."""
    with transaction.atomic():
        changed = Submission.objects.filter(pk=submission.pk, status__in=_REJUDGEABLE).update(
            status=Status.QUEUED,
            claim_token="",
            dispatched_at=None,
            attempt=0,
            infra_failures=0,
            enqueued_at=timezone.now(),
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
        )
        if changed:
            submission.refresh_from_db()
            enqueue_grading(submission)
    return bool(changed)


_REJUDGEABLE = [Status.SCORED, Status.FAILED, Status.ERROR, Status.REJECTED]


def set_selected(submission: Submission, selected: bool) -> None:
    """Marks a scored submission for the private leaderboard (``leaderboards.selection``: the
    limit is checked under row locks and the pick is final at the deadline)."""
    from leaderboards.selection import set_selected as select

    select(submission, selected)
