"""Where a waiting submission stands: its place in the fair order of its queue and when it
should start, estimated from the measured grading times (median of recent gradings) of each
assignment ahead of it. Nothing here is secret: only counts and times, never whose runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from submissions.fairness import fair_order
from submissions.history import median_grading_seconds
from submissions.models import Status, Submission


@dataclass(frozen=True)
class QueueStatus:
    position: int  # 1: the next run its queue's first free worker takes
    ahead: int  # waiting runs that go before it
    running: int  # runs being graded on its queue now
    estimated_start: datetime | None  # None until every assignment involved was timed once
    median_s: float | None  # its own assignment's median grading time

    @property
    def estimated_wait_s(self) -> float | None:
        if self.estimated_start is None:
            return None
        return max(0.0, (self.estimated_start - timezone.now()).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "ahead": self.ahead,
            "running": self.running,
            "estimated_start": self.estimated_start.isoformat() if self.estimated_start else None,
            "estimated_wait_s": _rounded(self.estimated_wait_s),
            "median_grading_s": _rounded(self.median_s),
        }


def queue_status(submission: Submission) -> QueueStatus | None:
    """None unless it is waiting in a queue."""
    if submission.status != Status.QUEUED:
        return None
    order = fair_order(submission.queue)
    index = next((i for i, row in enumerate(order) if row.pk == submission.pk), None)
    if index is None:
        return None
    running = list(
        Submission.objects.filter(status=Status.RUNNING, queue=submission.queue).values_list(
            "assignment_id", "started_at"
        )
    )
    medians: dict[int, float | None] = {}

    def median(assignment_id: int) -> float | None:
        if assignment_id not in medians:
            medians[assignment_id] = median_grading_seconds(assignment_id)
        return medians[assignment_id]

    start = _estimated_start(
        [median(row.assignment_id) for row in order[:index]],
        [(median(assignment_id), started) for assignment_id, started in running],
    )
    if start is not None and submission.enqueued_at and submission.enqueued_at > start:
        start = submission.enqueued_at  # waiting out a retry back-off
    return QueueStatus(
        position=index + 1,
        ahead=index,
        running=len(running),
        estimated_start=start,
        median_s=median(submission.assignment_id),
    )


def _estimated_start(
    ahead: list[float | None], running: list[tuple[float | None, datetime | None]]
) -> datetime | None:
    """The work before it (what is left of the running runs, then each waiting run's median)
    shared by as many workers as are busy on the queue now (at least one)."""
    if any(m is None for m in ahead) or any(m is None for m, _ in running):
        return None
    now = timezone.now()
    left = sum(
        max(0.0, m - ((now - started).total_seconds() if started else 0.0))
        for m, started in running
        if m is not None
    )
    work = left + sum(m for m in ahead if m is not None)
    return now + timedelta(seconds=work / max(1, len(running)))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
