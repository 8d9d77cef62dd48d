"""Each mentee's standing per assignment: the best score after the late penalty (what boards and
the grades export use), its raw score, attempts, last activity and late uploads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from courses.late_policy import days_late_of, penalised, policy_of
from courses.models import Assignment
from django.db.models import Count, Max, QuerySet
from leaderboards.review import flagged_submissions, may_rank
from submissions.models import Status, Submission


@dataclass(frozen=True)
class Best:
    score: float  # after the late penalty
    raw: float
    days_late: int
    submission_id: int


@dataclass(frozen=True)
class Cell:
    best: Best | None
    attempts: int
    last_activity: datetime | None
    late: int  # uploads accepted late


@dataclass(frozen=True)
class Grid:
    assignments: list[Assignment]
    rows: list[tuple[str, list[Cell]]]  # (username, one cell per assignment)


def course_assignments() -> list[Assignment]:
    return list(Assignment.objects.select_related("week").order_by("week__number", "slug"))


def best_scores(owners: QuerySet) -> dict[tuple[int, int], Best]:  # type: ignore[type-arg]
    """(owner id, assignment id) -> the best scored submission after its late penalty; a report
    held for review (or confirmed as memorised) does not count until it is cleared."""
    unranked = [s.pk for s in flagged_submissions() if not may_rank(s)]
    scored = (
        Submission.objects.filter(status=Status.SCORED, score__isnull=False, owner__in=owners)
        .exclude(pk__in=unranked)
        .select_related("assignment", "late_mark")
        .defer("report", "assignment__statement")
        .order_by("created_at", "id")
    )
    best: dict[tuple[int, int], Best] = {}
    for submission in scored:
        late = days_late_of(submission)
        score = penalised(submission.score, late, policy_of(submission.assignment))
        key = (submission.owner_id, submission.assignment_id)
        # Strictly better only: among equals the earlier submission stands, as on the boards.
        if score is not None and (key not in best or score > best[key].score):
            best[key] = Best(score, float(submission.score or 0.0), late, submission.pk)
    return best


def progress_grid(owners: QuerySet) -> Grid:  # type: ignore[type-arg]
    """Four queries whatever the size of the course."""
    assignments = course_assignments()
    best = best_scores(owners)
    activity = {
        (row["owner"], row["assignment"]): row
        for row in Submission.objects.filter(owner__in=owners)
        .values("owner", "assignment")
        .annotate(attempts=Count("id"), last=Max("created_at"), late=Count("late_mark"))
    }
    rows = []
    for user in owners:
        cells = []
        for assignment in assignments:
            seen = activity.get((user.pk, assignment.pk), {})
            cells.append(
                Cell(
                    best=best.get((user.pk, assignment.pk)),
                    attempts=seen.get("attempts", 0),
                    last_activity=seen.get("last"),
                    late=seen.get("late", 0),
                )
            )
        rows.append((user.get_username(), cells))
    return Grid(assignments, rows)


def score_histogram(assignment: Assignment, owners: QuerySet, bins: int = 10) -> list[int]:  # type: ignore[type-arg]
    """How many mentees' best scores (after penalty) fall in each tenth of 0..100."""
    counts = [0] * bins
    for (_, assignment_id), best in best_scores(owners).items():
        if assignment_id == assignment.pk:
            counts[min(bins - 1, max(0, int(best.score * bins // 100)))] += 1
    return counts


def uploads_per_day(assignment: Assignment, days: int = 60) -> list[tuple[str, int]]:
    """Uploads of the assignment per UTC day, oldest first, days without uploads included,
    up to the last ``days`` days with uploads."""
    per_day: dict[str, int] = defaultdict(int)
    dates = Submission.objects.filter(assignment=assignment).values_list("created_at", flat=True)
    for created in dates:
        per_day[created.date().isoformat()] += 1
    if not per_day:
        return []
    last = date.fromisoformat(max(per_day))
    first = max(date.fromisoformat(min(per_day)), last - timedelta(days=days - 1))
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    return [(day, per_day.get(day, 0)) for day in days]
