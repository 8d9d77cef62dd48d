"""What the mentor dashboard shows: the grading queue, runs that need a look, activity, grades."""

from __future__ import annotations

from dataclasses import dataclass

from courses.models import Assignment
from courses.roles import MENTORS_GROUP
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import ChannelError, OperationalError
from submissions.models import Status, Submission

from dashboard.progress import Best, best_scores, course_assignments

GRADING_QUEUES = ("cpu", "cpu-long", "gpu")  # the cost classes of submissions.queue
RECENT_PROBLEMS = 50


@dataclass(frozen=True)
class QueueDepth:
    queued: int
    running: int
    waiting_retry: int  # queued rows whose next attempt waits out a back-off
    broker: dict[str, int] | None  # messages per broker queue; None when the broker does not answer


def queue_depth() -> QueueDepth:
    counts = Submission.objects.aggregate(
        queued=Count("id", filter=Q(status=Status.QUEUED)),
        running=Count("id", filter=Q(status=Status.RUNNING)),
        waiting=Count("id", filter=Q(status=Status.QUEUED, enqueued_at__gt=timezone.now())),
    )
    return QueueDepth(counts["queued"], counts["running"], counts["waiting"], broker_lengths())


def broker_lengths() -> dict[str, int] | None:
    """Messages waiting in each grading queue, asked of the broker itself (a passive declare:
    cheap on Redis and on the filesystem broker). None if the broker cannot be reached."""
    from arena_site.celery import app

    lengths: dict[str, int] = {}
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            channel = connection.default_channel
            for queue in GRADING_QUEUES:
                try:
                    lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except ChannelError:
                    lengths[queue] = 0  # Redis drops an empty queue's key: nothing waits there
    except (OperationalError, OSError):
        return None
    return lengths


def running_runs() -> QuerySet[Submission]:
    return (
        Submission.objects.filter(status=Status.RUNNING)
        .select_related("assignment", "owner")
        .order_by("started_at")
    )


def problem_runs() -> QuerySet[Submission]:
    """Recent `error` (ours: to rejudge) and `failed` (theirs) runs, newest first."""
    return (
        Submission.objects.filter(status__in=[Status.ERROR, Status.FAILED])
        .select_related("assignment", "owner")
        .order_by("-finished_at", "-id")[:RECENT_PROBLEMS]
    )


@dataclass(frozen=True)
class WeekActivity:
    week: int
    total: int
    scored: int


def submissions_per_week() -> list[WeekActivity]:
    rows = (
        Submission.objects.values("assignment__week__number")
        .annotate(total=Count("id"), scored=Count("id", filter=Q(status=Status.SCORED)))
        .order_by("assignment__week__number")
    )
    return [WeekActivity(r["assignment__week__number"], r["total"], r["scored"]) for r in rows]


def mentees() -> QuerySet:  # type: ignore[type-arg]
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=False)
        .exclude(groups__name=MENTORS_GROUP)
        .order_by("username")
    )


@dataclass(frozen=True)
class GradeTable:
    assignments: list[Assignment]
    rows: list[tuple[str, list[Best | None]]]  # (username, best per assignment)


def grade_table() -> GradeTable:
    """Each mentee's best scored submission per assignment after its late penalty (blank:
    nothing scored yet); the raw score and the days late come with it."""
    owners = mentees()
    best = best_scores(owners)
    assignments = course_assignments()
    rows = [
        (user.get_username(), [best.get((user.pk, a.pk)) for a in assignments]) for user in owners
    ]
    return GradeTable(assignments, rows)
