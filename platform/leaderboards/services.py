"""Leaderboards: an entry per mentee holds their best public score and their private pick.

Scores come from the report's metrics ``public_score`` / ``private_score`` when the grader gives
a split, else from the report's ``score``. Ties break by the earlier submission.

An entry is recomputed under a lock on its mentee's row, so two runs of one mentee finishing at
once are recomputed one after the other and the second sees the first (never the lower score
kept). A submission being rejudged keeps its standing until its new report lands, and a report
held for review (``leaderboards.review``) earns no rank.
"""

from __future__ import annotations

from typing import Any, TypedDict

from courses.late_policy import board_score, days_late_of
from courses.models import Assignment
from courses.roles import MENTORS_GROUP, AnyUser
from django.contrib.auth import get_user_model
from django.db import transaction
from submissions.models import Status, Submission
from submissions.visibility import ViewerRights, private_split_view, rights, visible_report

from leaderboards.models import LeaderboardEntry
from leaderboards.review import may_rank

# A rejudged submission is queued or running again but keeps the score of its last report
# until the new one is written (the pipeline clears `score` unless the new run is scored).
STANDING_STATUSES = (Status.SCORED, Status.QUEUED, Status.RUNNING)


class BoardRow(TypedDict):
    rank: int
    user: str
    score: float
    metrics: dict[str, Any]
    submission_id: int
    submitted_at: str
    days_late: int  # the late penalty is in ``score`` already (``courses.late_policy``)


def public_score(submission: Submission) -> float | None:
    # Boards rank by the score after the late penalty; the raw one stays on the submission.
    return board_score(submission, _metric(submission, "public_score"))


def private_score(submission: Submission) -> float | None:
    return board_score(submission, _metric(submission, "private_score"))


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
        # The lock orders concurrent recomputations of this mentee; the query below then runs
        # after the other transaction committed and sees its submission (READ COMMITTED).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        standing = Submission.objects.filter(
            assignment=assignment,
            owner=user,
            status__in=STANDING_STATUSES,
            score__isnull=False,
        )
        scored = [s for s in standing if may_rank(s)]
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


def leaderboard(assignment: Assignment, private: bool, viewer: AnyUser) -> list[BoardRow] | None:
    """The public or private board as rows; None when the viewer may not see the private one."""
    if private and not assignment.private_board_visible_to(viewer):
        return None
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
    allowed = rights(assignment, viewer)
    return [
        BoardRow(
            rank=rank,
            user=username,
            score=score,
            metrics=_row_metrics(submission, assignment, private, allowed),
            submission_id=submission.pk,
            submitted_at=submission.created_at.isoformat(),
            days_late=days_late_of(submission),
        )
        for rank, (score, submission, username) in enumerate(rows, start=1)
    ]


def _row_metrics(
    submission: Submission, assignment: Assignment, private: bool, allowed: ViewerRights
) -> dict[str, Any]:
    """What the viewer may read of the entry's report; the private board shows the private
    split's values under their plain names."""
    shown = visible_report(
        submission.report, assignment=assignment, viewer=None, status=Status.SCORED, allowed=allowed
    )["metrics"]
    return private_split_view(shown) if private else shown
