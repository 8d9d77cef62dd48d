"""Rejudging: one submission, an assignment, or everything an older bundle version graded.

A rejudge puts a finished row back in the queue; the standing report (and the board entry
built on it) stays until the new one lands, and the old report stays in the history
(``GradingReport``). A rejudge never costs the mentee an upload: a run that did not count
against the quota (rejected, error) is marked ``quota_exempt`` before it can count again.
Each call is idempotent: a row already queued or running is left alone, and a request that
names the judging it saw (``seen_judging``, or ``queued_before`` for a whole assignment) does
nothing the second time, so a double click rejudges once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from courses.models import Assignment
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from submissions.models import FINAL_STATUSES, Status, Submission
from submissions.queue import enqueue_grading, queue_of

log = logging.getLogger(__name__)

_NOT_COUNTING = (Status.REJECTED, Status.ERROR)


def rejudge_one(submission: Submission, seen_judging: int | None = None) -> bool:
    """True when it was queued again; False when it is queued or running already, or was
    rejudged since the caller looked (``seen_judging``)."""
    rows = Submission.objects.filter(pk=submission.pk, status__in=FINAL_STATUSES)
    if seen_judging is not None:
        rows = rows.filter(judging=seen_judging)
    now = timezone.now()
    with transaction.atomic():
        changed = rows.update(
            status=Status.QUEUED,
            claim_token="",
            dispatched_at=None,
            attempt=0,
            infra_failures=0,
            queue=queue_of(submission.assignment),
            queued_at=now,
            enqueued_at=now,
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
            judging=F("judging") + 1,
            quota_exempt=Case(
                When(status__in=_NOT_COUNTING, then=Value(True)), default=F("quota_exempt")
            ),
        )
        if changed:
            submission.refresh_from_db()
            enqueue_grading(submission)
    return bool(changed)


def rejudge_assignment(assignment: Assignment, queued_before: datetime | None = None) -> int:
    """Every finished submission of the assignment (that joined the queue before
    ``queued_before``, when given: the moment the mentor's page was drawn)."""
    rows = _finished(assignment)
    if queued_before is not None:
        rows = rows.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=queued_before))
    return _rejudge_all(rows)


def outdated(assignment: Assignment) -> QuerySet[Submission]:
    """Finished submissions whose standing report another bundle version graded."""
    return _finished(assignment).exclude(bundle_hash=assignment.bundle_hash)


def rejudge_outdated(assignment: Assignment | None = None) -> int:
    """Everything graded by an older bundle version, in one assignment or all; the
    "bundle updated: rejudge?" notice is answered (cleared) for each assignment."""
    assignments = [assignment] if assignment else list(Assignment.objects.all())
    count = 0
    for item in assignments:
        count += _rejudge_all(outdated(item))
        Assignment.objects.filter(pk=item.pk, bundle_hash=item.bundle_hash).update(
            bundle_update_pending=False
        )
    return count


def _finished(assignment: Assignment) -> QuerySet[Submission]:
    return Submission.objects.filter(assignment=assignment, status__in=FINAL_STATUSES)


def _rejudge_all(rows: QuerySet[Submission]) -> int:
    count = 0
    for submission in rows.select_related("assignment").order_by("queued_at", "pk"):
        count += rejudge_one(submission, seen_judging=submission.judging)
    if count:
        log.info("rejudging %s submissions", count)
    return count


def outdated_counts() -> dict[str, int]:
    """Per assignment slug: finished submissions graded by another bundle version."""
    return {
        assignment.slug: outdated(assignment).count()
        for assignment in Assignment.objects.only("pk", "slug", "bundle_hash")
    }
