"""JSON shapes of contracts.md section 3 (extended with a few fields, never narrowed)."""

from __future__ import annotations

from typing import Any

from courses.models import Assignment
from courses.roles import AnyUser, is_mentor
from courses.services import pretrained_resources
from django.urls import reverse
from leaderboards.services import visible_metrics
from submissions.models import Status, Submission

INFRASTRUCTURE_MESSAGE = (
    "Grading failed for a reason that is not your fault; the mentors have been told and will "
    "rejudge it."
)


def assignment_summary(assignment: Assignment) -> dict[str, Any]:
    return {
        "slug": assignment.slug,
        "week": assignment.week.number,
        "title": assignment.title,
        "kind": assignment.kind,
        "opens_at": _iso(assignment.opens_at),
        "deadline": _iso(assignment.deadline),
        "daily_quota": assignment.daily_quota,
        "public": assignment.public,
        "gpu": assignment.gpu,
    }


def assignment_detail(assignment: Assignment, request: Any) -> dict[str, Any]:
    starter = reverse("api:assignment-starter", args=[assignment.slug])
    return {
        **assignment_summary(assignment),
        "statement": assignment.statement,
        "limits": assignment.limits,
        "metrics": assignment.metrics,
        "max_upload_mb": assignment.max_upload_bytes // 2**20,
        "max_selected": assignment.max_selected,
        "private_revealed": assignment.private_revealed,
        "starter_url": request.build_absolute_uri(starter),
        "pretrained": pretrained_resources(assignment),
    }


def submission_detail(submission: Submission, viewer: AnyUser) -> dict[str, Any]:
    mentor = is_mentor(viewer)
    show_private = submission.assignment.private_board_visible_to(viewer)
    return {
        "id": submission.pk,
        "assignment": submission.assignment.slug,
        "user": submission.owner.get_username(),
        "status": submission.status,
        "score": submission.score,
        "metrics": visible_metrics(submission.metrics, show_private),
        "checks": submission.checks,
        "error": _error_for(submission, mentor),
        "logs": submission.logs,
        "original_filename": submission.original_filename,
        "sha256": submission.sha256,
        "size_bytes": submission.size_bytes,
        "selected": submission.selected,
        "attempt": submission.attempt,
        "created_at": _iso(submission.created_at),
        "started_at": _iso(submission.started_at),
        "finished_at": _iso(submission.finished_at),
    }


def submission_summary(submission: Submission) -> dict[str, Any]:
    return {
        "id": submission.pk,
        "assignment": submission.assignment.slug,
        "user": submission.owner.get_username(),
        "status": submission.status,
        "score": submission.score,
        "selected": submission.selected,
        "created_at": _iso(submission.created_at),
        "finished_at": _iso(submission.finished_at),
    }


def _error_for(submission: Submission, mentor: bool) -> dict[str, str] | None:
    """Mentees read the grader's plain message, except for our own failures, whose details
    (paths, engine messages) are for mentors only."""
    error = submission.error
    if error is None or mentor:
        return error
    if submission.status == Status.ERROR:
        return {"kind": error["kind"], "message": INFRASTRUCTURE_MESSAGE}
    if submission.status in (Status.QUEUED, Status.RUNNING):
        return None  # a previous attempt's problem; a new verdict is on its way
    return error


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
