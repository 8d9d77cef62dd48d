"""The memorisation audit's review: a flagged report earns no rank until a mentor clears it.

The grader raises ``report["flags"]`` (``"memorisation"``: the submission does far better on the
public originals of the hidden items than on their secret versions). The state is derived from
the stored report and the decisions, so the pipeline needs no extra step to hold a submission.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from courses.roles import AnyUser, is_mentor
from django.db import transaction
from submissions.models import Status, Submission

from leaderboards.models import RankReview

HOLDING_FLAGS = frozenset({"memorisation"})


class ReviewRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def report_sha256(report: dict[str, Any] | None) -> str:
    canonical = json.dumps(report or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def holding_flags(submission: Submission) -> list[str]:
    flags = (submission.report or {}).get("flags")
    return sorted(HOLDING_FLAGS.intersection(flags)) if isinstance(flags, list) else []


def review_state(submission: Submission) -> str:
    """``none`` (not flagged), ``held``, ``cleared`` or ``confirmed``."""
    if not holding_flags(submission):
        return "none"
    decision = (
        RankReview.objects.filter(
            submission=submission, report_sha256=report_sha256(submission.report)
        )
        .values_list("decision", flat=True)
        .first()
    )
    return decision or "held"


def may_rank(submission: Submission) -> bool:
    return review_state(submission) in ("none", "cleared")


def flagged_submissions() -> list[Submission]:
    """Scored submissions whose report carries a holding flag, newest first. The text lookup
    narrows the rows in SQL on PostgreSQL and SQLite alike; the flag list is checked in Python."""
    candidates = (
        Submission.objects.filter(status=Status.SCORED, report__flags__icontains="memorisation")
        .select_related("assignment", "owner")
        .order_by("-finished_at", "-id")
    )
    return [s for s in candidates if holding_flags(s)]


def decide(submission: Submission, mentor: AnyUser, decision: str, note: str = "") -> RankReview:
    """Records a mentor's decision on the report as it stands and recomputes the boards."""
    from leaderboards.services import update_entry

    if not is_mentor(mentor):
        raise ReviewRefused("Only mentors review flagged submissions.")
    if decision not in RankReview.Decision.values:
        raise ReviewRefused(f"Unknown decision {decision!r}.")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        flags = holding_flags(locked)
        if not flags:
            raise ReviewRefused(f"Submission #{locked.pk} is not flagged for review.")
        review = RankReview.objects.create(
            submission=locked,
            report_sha256=report_sha256(locked.report),
            flags=flags,
            decision=decision,
            decided_by=mentor,
            note=note[:500],
        )
        update_entry(locked.assignment, locked.owner)
    return review
