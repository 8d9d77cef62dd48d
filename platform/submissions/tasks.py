"""Celery tasks: thin wrappers over submissions.pipeline."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_init, worker_ready
from django.db import DatabaseError, close_old_connections, connection

from submissions import pipeline

log = logging.getLogger(__name__)

# A worker that lost the database keeps the message alive by publishing it again.
_DATABASE_RETRY_S = 5


@shared_task(name="submissions.tasks.grade_submission", acks_late=True, bind=True)
def grade_submission(self: Task, submission_id: int) -> str | None:
    try:
        return pipeline.grade(submission_id)
    except DatabaseError as exc:
        close_old_connections()
        log.warning("submission %s: database unavailable (%s), retrying", submission_id, exc)
        raise self.retry(exc=exc, countdown=_DATABASE_RETRY_S, max_retries=None) from exc


@shared_task(name="submissions.tasks.recover_stalled", acks_late=True)
def recover_stalled() -> list[int]:
    return pipeline.recover_stalled()


@worker_init.connect
def _check_dependencies(**_: Any) -> None:
    """Before consuming anything: a worker that cannot reach the database would take
    messages and drop them, so it refuses to start (its supervisor restarts it)."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.critical("the worker cannot reach the database, refusing to start: %s", exc)
        raise SystemExit(3) from exc
    finally:
        connection.close()  # the pool's child processes open their own


@worker_ready.connect
def _resend_on_start(**_: Any) -> None:
    """A (re)started worker sends again whatever waits: the embedded broker keeps no
    unacknowledged messages across a crash, and the claim makes duplicates harmless."""
    pipeline.recover_stalled(resend_all_queued=True)
