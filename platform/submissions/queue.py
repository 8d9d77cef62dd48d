"""Enqueueing: only the id, only after the transaction commits, on the assignment's queue."""

from __future__ import annotations

from django.db import transaction

from submissions.models import Submission


def enqueue_grading(submission: Submission, countdown: int = 0) -> None:
    submission_id = submission.pk
    queue = submission.assignment.queue
    transaction.on_commit(lambda: send_grading(submission_id, queue, countdown))


def send_grading(submission_id: int, queue: str, countdown: int = 0) -> None:
    from submissions.tasks import grade_submission

    grade_submission.apply_async(args=[submission_id], queue=queue, countdown=countdown or None)
