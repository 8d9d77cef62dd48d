"""The fair order of a queue: round-robin over mentees, each mentee's oldest waiting run first.

A broker queue is first-in first-out, so a mentee who uploads four runs would hold the next
four gradings. Instead a message is a turn in its queue, not a claim on its own row: the
worker that receives it grades the run this order puts first (``pipeline.claim``). Every
waiting row has a message and each message grades at most one row, so nothing is left behind.

The order: the mentee served least recently in this queue (their latest run's start; never:
first of all) takes the next turn with their oldest waiting run, then goes to the back of the
line. The queue position shown to mentees is the same order (``queue_status``).
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, Q
from django.utils import timezone

from submissions.models import Status, Submission


@dataclass(frozen=True)
class Waiting:
    pk: int
    owner_id: int
    assignment_id: int
    queued_at: datetime


def fair_order(queue: str, due_only: bool = False) -> list[Waiting]:
    """The queue's waiting rows in the order workers take them."""
    per_owner = _waiting_by_owner(queue, due_only)
    served = _last_served(queue, list(per_owner))
    # (turn key, head's queued_at, head's pk, owner): a real last start sorts before any
    # simulated turn given out below, and never served sorts first.
    line = [
        ((0, served.get(owner) or datetime.min), rows[0].queued_at, rows[0].pk, owner)
        for owner, rows in per_owner.items()
    ]
    heapq.heapify(line)
    order: list[Waiting] = []
    while line:
        _, _, _, owner = heapq.heappop(line)
        rows = per_owner[owner]
        order.append(rows.popleft())
        if rows:
            heapq.heappush(line, ((1, len(order)), rows[0].queued_at, rows[0].pk, owner))
    return order


def next_in_line(queue: str) -> int | None:
    """The id of the row the next free worker of ``queue`` should grade, if any."""
    order = fair_order(queue, due_only=True)
    return order[0].pk if order else None


def _waiting_by_owner(queue: str, due_only: bool) -> dict[int, deque[Waiting]]:
    rows = Submission.objects.filter(status=Status.QUEUED, queue=queue)
    if due_only:  # a row waiting out a retry back-off is not claimable yet
        rows = rows.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=timezone.now()))
    waiting = sorted(
        (
            Waiting(pk, owner, assignment, queued or created)
            for pk, owner, assignment, queued, created in rows.values_list(
                "pk", "owner_id", "assignment_id", "queued_at", "created_at"
            )
        ),
        key=lambda row: (row.queued_at, row.pk),
    )
    per_owner: dict[int, deque[Waiting]] = defaultdict(deque)
    for row in waiting:
        per_owner[row.owner_id].append(row)
    return per_owner


def _last_served(queue: str, owners: list[int]) -> dict[int, datetime]:
    """When each owner's latest run in this queue started (running or finished)."""
    latest = (
        Submission.objects.filter(queue=queue, owner_id__in=owners, started_at__isnull=False)
        .values("owner_id")
        .annotate(latest=Max("started_at"))
        .values_list("owner_id", "latest")
    )
    return {owner: _naive(latest) for owner, latest in latest}


def _naive(value: datetime) -> datetime:
    """Comparable with ``datetime.min`` (all times here are UTC)."""
    return value.replace(tzinfo=None)
