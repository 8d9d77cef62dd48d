"""Leaderboards: an entry per mentee holds their best public score and their private pick.

Scores come from the report's metrics ``public_score`` / ``private_score`` when the grader gives
a split, else from the report's ``score``. Equal points are ordered by the raw scored metrics,
then by the earlier submission (``leaderboards.ranking``). The bundle's reference solution is
shown as a baseline row, never ranked (``leaderboards.baselines``); a course may show
pseudonyms to whoever is not a mentor (``leaderboards.pseudonyms``).

An entry is recomputed under a lock on its mentee's row, so two runs of one mentee finishing at
once are recomputed one after the other and the second sees the first (never the lower score
kept). A submission being rejudged keeps its standing until its new report lands, and a report
held for review (``leaderboards.review``) earns no rank.
"""

from __future__ import annotations

from typing import Any, TypedDict

from courses.late_policy import board_score, days_late_of
from courses.models import Assignment
from courses.roles import MENTORS_GROUP, AnyUser, is_mentor
from django.contrib.auth import get_user_model
from django.db import transaction
from submissions.models import Status, Submission
from submissions.visibility import ViewerRights, private_split_view, rights, visible_report

from leaderboards.baselines import BASELINE_LABEL, BASELINE_USERNAME, baseline_submission
from leaderboards.board_cache import cached_board
from leaderboards.columns import board_columns
from leaderboards.models import LeaderboardEntry
from leaderboards.pseudonyms import pseudonyms_on, shown_names
from leaderboards.ranking import best, rank_key
from leaderboards.review import may_rank

# A rejudged submission is queued or running again but keeps the score of its last report
# until the new one is written (the pipeline clears `score` unless the new run is scored).
STANDING_STATUSES = (Status.SCORED, Status.QUEUED, Status.RUNNING)


class BoardRow(TypedDict):
    rank: int | None  # None on the baseline row: it is shown, never ranked
    user: str  # the username, or the course's pseudonym for whoever is not a mentor
    score: float
    metrics: dict[str, Any]
    submission_id: int
    submitted_at: str
    days_late: int  # the late penalty is in ``score`` already (``courses.late_policy``)
    baseline: bool  # the bundle's reference solution (``leaderboards.baselines``)
    mine: bool  # the viewer's own entry


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


def ranked_keys(assignment: Assignment) -> list[str]:
    """The raw metrics that order equal points (``leaderboards.ranking``): the board's columns."""
    return [column.key for column in board_columns(assignment)]


def update_entry(assignment: Assignment, user: AnyUser) -> LeaderboardEntry | None:
    """Recomputes one mentee's entry from all their scored submissions (idempotent)."""
    ranked = ranked_keys(assignment)
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
        best_public = best(scored, public_score, ranked, private=False)
        if best_public is None:
            LeaderboardEntry.objects.filter(assignment=assignment, user=user).delete()
            return None
        candidates = [s for s in scored if s.selected] or [best_public[0]]
        best_private = best(candidates, private_score, ranked, private=True)
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
    """The public or private board's ranked rows (mentees only; the baseline is apart:
    ``baseline_row``); None when the viewer may not see the private board."""
    ranked = _ranked_rows(assignment, private, viewer)
    return None if ranked is None else [row for _, row in ranked]


def board_rows(assignment: Assignment, private: bool, viewer: AnyUser) -> list[BoardRow] | None:
    """The ranked rows with the baseline row placed where it would rank, without a rank."""
    ranked = _ranked_rows(assignment, private, viewer)
    if ranked is None:
        return None
    baseline = _baseline(assignment, private, viewer)
    if baseline is not None:
        ranked.append(baseline)
        ranked.sort(key=lambda pair: pair[0])
    return [row for _, row in ranked]


def baseline_row(assignment: Assignment, private: bool, viewer: AnyUser) -> BoardRow | None:
    """The reference solution's row (``leaderboards.baselines``), or None: not graded yet, or
    the viewer may not see the private board."""
    if private and not assignment.private_board_visible_to(viewer):
        return None
    found = _baseline(assignment, private, viewer)
    return found[1] if found is not None else None


def viewer_key(assignment: Assignment, viewer: AnyUser) -> tuple[Any, ...]:
    """What of the assignment's boards differs between viewers, their own row aside (for the
    keys of ``leaderboards.board_cache``): mentor or not, the widest audience of metrics they
    may read now, whether they see the private board, and usernames or pseudonyms."""
    allowed = rights(assignment, viewer)
    real_names = is_mentor(viewer) or not pseudonyms_on(assignment.week.course)
    return (allowed.mentor, allowed.widest, assignment.private_board_visible_to(viewer), real_names)


RankedRow = tuple[tuple[Any, ...], BoardRow]


def _ranked_rows(assignment: Assignment, private: bool, viewer: AnyUser) -> list[RankedRow] | None:
    if private and not assignment.private_board_visible_to(viewer):
        return None
    allowed = rights(assignment, viewer)
    # Cached per change of any board's data (``leaderboards.board_cache``); the key holds all
    # that differs between viewers, and the viewer's own row is marked after the cache.
    parts = ("ranked", assignment.pk, private, *viewer_key(assignment, viewer))
    computed = cached_board(parts, lambda: _compute_ranked(assignment, private, allowed, viewer))
    return [
        (key, BoardRow(**row, mine=owner == viewer.pk))  # type: ignore[typeddict-item]
        for key, row, owner in computed
    ]


def _compute_ranked(
    assignment: Assignment, private: bool, allowed: ViewerRights, viewer: AnyUser
) -> list[tuple[tuple[Any, ...], dict[str, Any], int]]:
    """``(rank key, row without "mine", owner's id)`` in rank order."""
    # Mentors' own test runs (the reference solution, say) and the baseline do not compete.
    entries = (
        LeaderboardEntry.objects.filter(assignment=assignment)
        .exclude(user__is_staff=True)
        .exclude(user__groups__name=MENTORS_GROUP)
        .exclude(user__username=BASELINE_USERNAME)
        # Each row shows its days late: the marks come in the same query, not one per row
        # (200 rows cost 200 queries, most of a board's time: bench/leaderboard_load.py).
        .select_related(
            "user",
            "public_submission__late_mark",
            "private_submission__late_mark",
        )
    )
    ranked = ranked_keys(assignment)
    standing: list[tuple[tuple[Any, ...], float, Submission, Any]] = []
    for entry in entries:
        submission = entry.private_submission if private else entry.public_submission
        score = entry.private_score if private else entry.public_score
        if submission is not None and score is not None:
            key = rank_key(submission, score, ranked, private)
            standing.append((key, score, submission, entry.user))
    standing.sort(key=lambda item: item[0])
    names = shown_names(
        assignment.week.course, {user.pk: user.get_username() for *_, user in standing}, viewer
    )
    computed = []
    for rank, (key, score, submission, user) in enumerate(standing, start=1):
        row = dict(_row(rank, names[user.pk], score, submission, assignment, private, allowed))
        del row["mine"]
        computed.append((key, row, user.pk))
    return computed


def _baseline(assignment: Assignment, private: bool, viewer: AnyUser) -> RankedRow | None:
    allowed = rights(assignment, viewer)
    parts = ("baseline", assignment.pk, private, *viewer_key(assignment, viewer))
    return cached_board(parts, lambda: _compute_baseline(assignment, private, allowed))


def _compute_baseline(
    assignment: Assignment, private: bool, allowed: ViewerRights
) -> RankedRow | None:
    submission = baseline_submission(assignment)
    if submission is None or submission.status not in STANDING_STATUSES:
        return None
    score = (private_score if private else public_score)(submission)
    if score is None:
        return None
    key = rank_key(submission, score, ranked_keys(assignment), private)
    row = _row(None, BASELINE_LABEL, score, submission, assignment, private, allowed)
    row["baseline"] = True
    return key, row


def _row(
    rank: int | None,
    user: str,
    score: float,
    submission: Submission,
    assignment: Assignment,
    private: bool,
    allowed: ViewerRights,
    *,
    mine: bool = False,
) -> BoardRow:
    return BoardRow(
        rank=rank,
        user=user,
        score=score,
        metrics=_row_metrics(submission, assignment, private, allowed),
        submission_id=submission.pk,
        submitted_at=submission.created_at.isoformat(),
        days_late=days_late_of(submission),
        baseline=False,
        mine=mine,
    )


def _row_metrics(
    submission: Submission, assignment: Assignment, private: bool, allowed: ViewerRights
) -> dict[str, Any]:
    """What the viewer may read of the entry's report; the private board shows the private
    split's values under their plain names."""
    shown = visible_report(
        submission.report, assignment=assignment, viewer=None, status=Status.SCORED, allowed=allowed
    )["metrics"]
    return private_split_view(shown) if private else shown
