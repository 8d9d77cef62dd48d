"""Celery tasks: thin wrappers over submissions.pipeline."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from submissions import pipeline


@shared_task(name="submissions.tasks.grade_submission", acks_late=True)
def grade_submission(submission_id: int) -> str | None:
    return pipeline.grade(submission_id)


@shared_task(name="submissions.tasks.recover_stalled", acks_late=True)
def recover_stalled() -> list[int]:
    return pipeline.recover_stalled()


@worker_ready.connect
def _resend_on_start(**_: Any) -> None:
    """A (re)started worker sends again whatever waits: the embedded broker keeps no
    unacknowledged messages across a crash, and the claim makes duplicates harmless."""
    pipeline.recover_stalled(resend_all_queued=True)
