"""The history of judgings: one GradingReport per ended attempt, never overwritten.

The submission row carries the standing report (what boards and mentees read); this module
keeps every report beside it, so a mentor can see what a rejudge changed and what graded it.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from courses.models import Assignment
from django.utils import timezone

from submissions.models import GradingReport, Status, Submission

# Durations that describe a grading: not infrastructure failures, not upload-time verdicts.
_TIMED_STATUSES = (Status.SCORED, Status.FAILED, Status.REJECTED)
RECENT_DURATIONS = 20


def record_judging(
    submission: Submission,
    *,
    status: str,
    report: dict[str, Any] | None,
    score: float | None,
    origin: str,
    started_at: datetime | None,
    finished_at: datetime | None = None,
) -> GradingReport:
    """Call inside the transaction that writes the standing report, so both land or neither."""
    finished_at = finished_at or timezone.now()
    error = (report or {}).get("error") or {}
    duration = (finished_at - started_at).total_seconds() if started_at else None
    return GradingReport.objects.create(
        submission=submission,
        judging=submission.judging,
        status=status,
        score=score if status == Status.SCORED else None,
        report=report,
        error_kind=str(error.get("kind", ""))[:64],
        error_message=str(error.get("message", "")),
        bundle_hash=submission.assignment.bundle_hash,
        grader_version=submission.grader_version,
        origin=origin,
        started_at=started_at,
        finished_at=finished_at,
        duration_s=duration,
    )


def median_grading_seconds(assignment: Assignment | int) -> float | None:
    """The median wall time of the assignment's recent gradings (None before the first)."""
    assignment_id = assignment if isinstance(assignment, int) else assignment.pk
    durations = list(
        GradingReport.objects.filter(
            submission__assignment_id=assignment_id,
            status__in=_TIMED_STATUSES,
            duration_s__isnull=False,
        )
        .exclude(origin="upload")
        .order_by("-finished_at")
        .values_list("duration_s", flat=True)[:RECENT_DURATIONS]
    )
    return statistics.median(durations) if durations else None


def judgings(submission: Submission) -> list[GradingReport]:
    """Newest first. Mentors only: an older report may hold what the standing one withholds."""
    return list(submission.reports.order_by("-judging", "-finished_at", "-id"))
