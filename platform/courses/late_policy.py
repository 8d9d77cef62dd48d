"""When a mentee may upload, and what a late upload costs.

A mentee's deadline is the assignment's, or their extension's when it is later. After it, the
assignment either refuses uploads or accepts them marked late: the days late are counted by the
server clock at upload time (any part of a day counts as a day) and stored with the submission
(``LateMark``); boards and exports then use ``penalised`` scores, the raw score stays on the
submission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from courses.models import Assignment, LatePolicyChoice
from courses.roles import AnyUser, is_mentor

DAY = timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    accept_late: bool
    percent_per_day: float  # of the score, taken off per day late

    def describe(self) -> str:
        if not self.accept_late:
            return "late uploads are refused"
        return f"late uploads lose {self.percent_per_day:g}% of their score per day late"


@dataclass(frozen=True)
class UploadWindow:
    """An upload allowed now: ``days_late`` is 0 for one on time."""

    days_late: int
    deadline: datetime | None


class UploadClosed(Exception):
    """The assignment does not take this mentee's upload now; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def policy_of(assignment: Assignment) -> LatePolicy:
    return LatePolicy(
        accept_late=assignment.late_policy == LatePolicyChoice.PENALTY,
        percent_per_day=float(assignment.late_penalty_percent),
    )


def penalised(score: float | None, days_late: int, policy: LatePolicy) -> float | None:
    """The score a board or an export uses: ``percent_per_day`` of it off per day late."""
    if score is None or days_late <= 0:
        return score
    factor = max(0.0, 1.0 - policy.percent_per_day * days_late / 100.0)
    return round(score * factor, 6)


def days_late(deadline: datetime | None, now: datetime) -> int:
    if deadline is None or now <= deadline:
        return 0
    return math.ceil((now - deadline) / DAY)


def mentee_deadline(assignment: Assignment, user: AnyUser) -> datetime | None:
    """The assignment's deadline, or the mentee's extension when it is later."""
    extension = assignment.extension_for(user)
    if assignment.deadline is None or extension is None:
        return assignment.deadline
    return max(assignment.deadline, extension.until)


def upload_window(
    assignment: Assignment, user: AnyUser, now: datetime | None = None
) -> UploadWindow:
    """Raises ``UploadClosed`` when the upload must be refused; mentors may always upload."""
    now = now or timezone.now()
    if is_mentor(user):
        return UploadWindow(days_late=0, deadline=assignment.deadline)
    if not assignment.published:
        raise UploadClosed(f"{assignment.title} is not published yet.")
    if not assignment.is_open(now):
        raise UploadClosed(
            f"{assignment.title} opens on {assignment.opens_at:%Y-%m-%d %H:%M} UTC; "
            "uploads are accepted from then."
        )
    deadline = mentee_deadline(assignment, user)
    late = days_late(deadline, now)
    if late and not policy_of(assignment).accept_late:
        raise UploadClosed(
            f"The deadline of {assignment.title} passed on {deadline:%Y-%m-%d %H:%M} UTC; "
            "late uploads are not accepted."
        )
    return UploadWindow(days_late=late, deadline=deadline)


def may_upload(assignment: Assignment, user: AnyUser, now: datetime | None = None) -> bool:
    try:
        upload_window(assignment, user, now)
    except UploadClosed:
        return False
    return True


def days_late_of(submission: Any) -> int:
    """The stored days late of a submission (0 when it was on time)."""
    try:
        mark = submission.late_mark
    except ObjectDoesNotExist:
        return 0
    return int(mark.days_late)


def board_score(submission: Any, raw: float | None) -> float | None:
    """``raw`` (a score of ``submission``'s report) with its late penalty applied."""
    late = days_late_of(submission)
    if not late:
        return raw
    return penalised(raw, late, policy_of(submission.assignment))
