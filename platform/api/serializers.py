"""JSON shapes of contracts.md section 3 (extended with a few fields, never narrowed)."""

from __future__ import annotations

from typing import Any

from courses.models import Assignment
from courses.roles import AnyUser
from courses.services import pretrained_resources
from django.urls import reverse
from leaderboards.review import review_state
from submissions.models import Submission
from submissions.queue_status import queue_status
from submissions.visibility import CONFIRMED_MESSAGE, HELD_MESSAGE, visible_report

_REVIEW_MESSAGES = {"held": HELD_MESSAGE, "confirmed": CONFIRMED_MESSAGE}


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
    """One submission as ``viewer`` may read it: every part of the report goes through
    ``submissions.visibility.visible_report`` (the portal's result pages use this too)."""
    shown = visible_report(
        submission.report,
        assignment=submission.assignment,
        viewer=viewer,
        status=submission.status,
        error=submission.error,
    )
    return {
        "id": submission.pk,
        "assignment": submission.assignment.slug,
        "user": submission.owner.get_username(),
        "status": submission.status,
        "score": submission.score,
        "metrics": shown["metrics"],
        "checks": shown["checks"],
        "error": shown["error"],
        "logs": shown["logs"],
        "public_cases": shown["public_cases"],
        "review": _review(submission),
        "original_filename": submission.original_filename,
        "sha256": submission.sha256,
        "size_bytes": submission.size_bytes,
        "selected": submission.selected,
        "attempt": submission.attempt,
        # Which judging the report is (1: the upload's; +1 per rejudge) and what graded it.
        "judging": submission.judging,
        "bundle_hash": submission.bundle_hash,
        "grader_version": submission.grader_version,
        # Waiting: its place in the fair order of its queue and an estimated start.
        "queue": _queue(submission),
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


def _review(submission: Submission) -> dict[str, str] | None:
    """The memorisation audit's state in plain words (None: nothing to review)."""
    state = review_state(submission)
    if state == "none":
        return None
    return {"state": state, "message": _REVIEW_MESSAGES.get(state, "Reviewed: it ranks.")}


def _queue(submission: Submission) -> dict[str, Any] | None:
    status = queue_status(submission)
    return status.as_dict() if status else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
