"""Read-only questions the portal pages ask: a mentee's progress, the course timeline.

Business rules (who sees what, quotas, scores) stay in `courses`, `submissions` and
`leaderboards`; this module only gathers their answers for a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from courses.models import Assignment, Course, Week
from courses.roles import AnyUser
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from submissions.models import Status, Submission


@dataclass(frozen=True)
class Progress:
    """One mentee on one assignment: how many tries, the best score, how the last one ended."""

    submissions: int = 0
    best_score: float | None = None
    last_status: str | None = None


@dataclass(frozen=True)
class TimelineItem:
    assignment: Assignment
    state: str  # "upcoming" | "open" | "closed"
    progress: Progress


@dataclass
class WeekRow:
    week: Week
    items: list[TimelineItem] = field(default_factory=list)


def assignment_state(assignment: Assignment, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if not assignment.is_open(now):
        return "upcoming"
    if assignment.deadline_passed(now):
        return "closed"
    return "open"


def progress_by_assignment(
    user: AnyUser, assignments: QuerySet[Assignment] | list[Assignment]
) -> dict[int, Progress]:
    """Two queries whatever the number of assignments: counts and best scores, then last statuses."""
    if not user.is_authenticated:
        return {}
    mine = Submission.objects.filter(owner=user, assignment__in=assignments)
    totals = mine.values("assignment").annotate(
        count=Count("id"), best=Max("score", filter=Q(status=Status.SCORED))
    )
    last_status: dict[int, str] = {}
    # Newest first: the first status seen per assignment is the latest one.
    for assignment_id, status in mine.order_by("-created_at", "-id").values_list(
        "assignment", "status"
    ):
        last_status.setdefault(assignment_id, status)
    return {
        row["assignment"]: Progress(row["count"], row["best"], last_status.get(row["assignment"]))
        for row in totals
    }


def course_timeline(course: Course, user: AnyUser) -> list[WeekRow]:
    """The course's weeks in order, each with the assignments this user may see."""
    assignments = list(
        Assignment.objects.visible_to(user)
        .filter(week__course=course)
        .select_related("week")
        .order_by("week__number", "opens_at", "slug")
    )
    progress = progress_by_assignment(user, assignments)
    now = timezone.now()
    rows = {week.pk: WeekRow(week) for week in course.weeks.order_by("number")}
    for assignment in assignments:
        rows[assignment.week_id].items.append(
            TimelineItem(
                assignment,
                assignment_state(assignment, now),
                progress.get(assignment.pk, Progress()),
            )
        )
    return [row for row in rows.values() if row.items]


def visible_courses(user: AnyUser) -> QuerySet[Course]:
    """Courses holding at least one assignment this user may see."""
    visible = Assignment.objects.visible_to(user).values("week__course")
    return Course.objects.filter(pk__in=visible).order_by("title")


def my_submissions(user: AnyUser, assignment: Assignment | None = None) -> QuerySet[Submission]:
    """The signed-in user's own submissions, newest first (mentors included: this is 'mine')."""
    mine = Submission.objects.filter(owner=user).select_related("assignment")
    if assignment is not None:
        mine = mine.filter(assignment=assignment)
    return mine.order_by("-created_at", "-id")
