"""Leaderboards: an entry per mentee holds their best public score and their private pick.

Scores come from the report's metrics ``public_score`` / ``private_score`` when the grader gives
a split, else from the report's ``score``. Ties break by the earlier submission.
"""

from __future__ import annotations

from typing import Any, TypedDict

from courses.models import Assignment
from courses.roles import MENTORS_GROUP, AnyUser
from django.db import transaction
from submissions.models import Status, Submission

from leaderboards.models import LeaderboardEntry

PRIVATE_METRIC_PREFIX = "private"


class BoardRow(TypedDict):
    rank: int
    user: str
    score: float
    metrics: dict[str, Any]
    submission_id: int
    submitted_at: str


def public_score(submission: Submission) -> float | None:
    return _metric(submission, "public_score")


def private_score(submission: Submission) -> float | None:
    return _metric(submission, "private_score")


def _metric(submission: Submission, key: str) -> float | None:
    value = submission.metrics.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return submission.score


def _best(submissions: list[Submission], score: Any) -> tuple[Submission, float] | None:
    scored = [(s, score(s)) for s in submissions if score(s) is not None]
    if not scored:
        return None
    # Highest score first; among equals the earliest submission wins.
    return min(scored, key=lambda pair: (-pair[1], pair[0].created_at, pair[0].pk))


def update_entry(assignment: Assignment, user: AnyUser) -> LeaderboardEntry | None:
    """Recomputes one mentee's entry from all their scored submissions (idempotent)."""
    with transaction.atomic():
        scored = list(
            Submission.objects.filter(assignment=assignment, owner=user, status=Status.SCORED)
        )
        best_public = _best(scored, public_score)
        if best_public is None:
            LeaderboardEntry.objects.filter(assignment=assignment, user=user).delete()
            return None
        candidates = [s for s in scored if s.selected] or [best_public[0]]
        best_private = _best(candidates, private_score)
        entry, _ = LeaderboardEntry.objects.update_or_create(
            assignment=assignment,
            user=user,
            defaults={
                "public_submission": best_public[0],
                "public_score": best_public[1],
                "private_submission": best_private[0] if best_private else None,
                "private_score": best_private[1] if best_private else None,
            },
        )
        return entry


def visible_metrics(metrics: dict[str, Any], show_private: bool) -> dict[str, Any]:
    """Private-split metrics stay hidden until the private board may be shown (threat 17)."""
    if show_private:
        return dict(metrics)
    return {k: v for k, v in metrics.items() if not k.startswith(PRIVATE_METRIC_PREFIX)}


def leaderboard(assignment: Assignment, private: bool, viewer: AnyUser) -> list[BoardRow] | None:
    """The public or private board as rows; None when the viewer may not see the private one."""
    if private and not assignment.private_board_visible_to(viewer):
        return None
    show_private = assignment.private_board_visible_to(viewer)
    # Mentors' own test runs (the reference solution, say) do not compete.
    entries = (
        LeaderboardEntry.objects.filter(assignment=assignment)
        .exclude(user__is_staff=True)
        .exclude(user__groups__name=MENTORS_GROUP)
        .select_related("user", "public_submission", "private_submission")
    )
    rows: list[tuple[float, Submission, str]] = []
    for entry in entries:
        submission = entry.private_submission if private else entry.public_submission
        score = entry.private_score if private else entry.public_score
        if submission is not None and score is not None:
            rows.append((score, submission, entry.user.get_username()))
    rows.sort(key=lambda row: (-row[0], row[1].created_at, row[1].pk))
    return [
        BoardRow(
            rank=rank,
            user=username,
            score=score,
            metrics=visible_metrics(submission.metrics, show_private),
            submission_id=submission.pk,
            submitted_at=submission.created_at.isoformat(),
        )
        for rank, (score, submission, username) in enumerate(rows, start=1)
    ]
