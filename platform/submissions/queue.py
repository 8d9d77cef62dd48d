"""Enqueueing: only the id, only after the transaction commits, on the row's cost class queue.

The database row is the outbox: a queued row whose ``dispatched_at`` is empty has not been
accepted by the broker yet. Sending never fails the caller (an upload that is stored answers
201 even with the broker down); the dispatcher (``submissions.dispatcher``) sends what is left.

Queues are cost classes, so a week 1 run never waits behind week 4: ``cpu`` (short: a budget
up to ``ARENA_SHORT_WALL_SECONDS``), ``cpu-long`` and ``gpu``. Workers list ``cpu`` first and a
worker of its own consumes only ``cpu`` (run_platform.sh, docker-compose.yml).
"""

from __future__ import annotations

import logging

from courses.models import Assignment
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.models import Status, Submission

log = logging.getLogger(__name__)

CPU_SHORT = "cpu"  # the historical name: a worker started with `-Q cpu,gpu` still serves it
CPU_LONG = "cpu-long"
GPU = "gpu"
GRADING_QUEUES = (CPU_SHORT, CPU_LONG, GPU)

# One quick try: the dispatcher retries every few seconds, so a request never waits on a broker.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def queue_of(assignment: Assignment) -> str:
    """The assignment's cost class, from its bundle: a GPU flag, else its time budget."""
    if assignment.gpu:
        return GPU
    budget = (assignment.limits or {}).get("wall_seconds")
    if isinstance(budget, int | float) and budget > settings.ARENA_SHORT_WALL_SECONDS:
        return CPU_LONG
    return CPU_SHORT


def row_queue(submission: Submission) -> str:
    """The queue a row was put on (rows from before cost classes: their assignment's)."""
    return submission.queue or queue_of(submission.assignment)


def enqueue_grading(submission: Submission, countdown: int = 0) -> None:
    submission_id = submission.pk
    queue = row_queue(submission)
    transaction.on_commit(lambda: send_grading(submission_id, queue, countdown))


def send_grading(submission_id: int, queue: str, countdown: int = 0) -> bool:
    """Publishes the id; on success marks the row dispatched. False: the broker refused it
    (down, unreachable) and the row waits in the outbox for the dispatcher."""
    from submissions.tasks import grade_submission

    try:
        grade_submission.apply_async(
            args=[submission_id],
            queue=queue,
            countdown=countdown or None,
            retry=True,
            retry_policy=_PUBLISH_RETRY,
        )
    except Exception as exc:  # noqa: BLE001 - every broker failure means the same: try later
        log.warning("submission %s stays in the outbox: broker refused it (%s)", submission_id, exc)
        return False
    Submission.objects.filter(
        pk=submission_id, status=Status.QUEUED, dispatched_at__isnull=True
    ).update(dispatched_at=timezone.now())
    return True
