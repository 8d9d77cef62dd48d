"""Course structure: a course has weeks, a week has assignments built from bundles."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from courses.roles import AnyUser, is_mentor


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    public = models.BooleanField(
        default=True, help_text="Anonymous visitors may read its public assignments and boards."
    )

    def __str__(self) -> str:
        return self.title


class Week(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    # The week's page shows the reference architectures' comparison chart (a bundle of the week
    # sets ``comparison_chart = true``).
    comparison_chart = models.BooleanField(default=False)

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="unique_week_number"),
        ]

    def __str__(self) -> str:
        return f"Week {self.number}: {self.title}"


class LatePolicyChoice(models.TextChoices):
    REFUSE = "refuse", "refuse late uploads"
    PENALTY = "penalty", "accept late uploads with a penalty per day"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def visible_to(self, user: AnyUser) -> AssignmentQuerySet:
        """Mentors see every assignment; others see published opened ones, anonymous only
        public ones."""
        if is_mentor(user):
            return self
        opened = self.filter(published=True).filter(
            models.Q(opens_at__isnull=True) | models.Q(opens_at__lte=timezone.now())
        )
        if user.is_authenticated:
            return opened
        return opened.filter(public=True, week__course__public=True)


class Assignment(models.Model):
    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="assignments")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=32)
    statement = models.TextField(blank=True, help_text="Markdown, from the bundle's README.md.")
    bundle_dir = models.CharField(
        max_length=500, help_text="Folder of the bundle, relative to ARENA_ASSIGNMENTS."
    )
    bundle_hash = models.CharField(max_length=64, blank=True)
    # Set when a restart loads a bundle whose content hash changed: mentors are asked whether
    # to rejudge (reports graded by the old bundle stand until then).
    bundle_update_pending = models.BooleanField(default=False)
    bundle_updated_at = models.DateTimeField(null=True, blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    daily_quota = models.PositiveIntegerField(default=20)
    # What mentors set on the platform (never overwritten by ``seed_course``): see late_policy.
    late_policy = models.CharField(
        max_length=16, choices=LatePolicyChoice.choices, default=LatePolicyChoice.REFUSE
    )
    late_penalty_percent = models.FloatField(
        default=10.0, help_text="Percent of the score taken off per day (or part of one) late."
    )
    max_in_flight = models.PositiveSmallIntegerField(
        default=10, help_text="Runs a mentee may have queued or running at once."
    )
    published = models.BooleanField(
        default=True, help_text="Mentees see it (from its opening date); unpublished: mentors only."
    )
    max_upload_mb = models.PositiveIntegerField(default=50)
    max_selected = models.PositiveSmallIntegerField(default=2)
    limits = models.JSONField(default=dict, blank=True)
    parts = models.JSONField(
        default=list,
        blank=True,
        help_text="The grader's normalised parts (grader.bundle.Part): kind, checks, scoring.",
    )
    metrics = models.JSONField(default=list, blank=True, help_text="Metric names reported.")
    metric_info = models.JSONField(
        default=dict,
        blank=True,
        help_text="The bundle's metric declarations: label, unit, visibility, scored.",
    )
    public = models.BooleanField(default=True)
    private_revealed = models.BooleanField(default=False)
    gpu = models.BooleanField(default=False)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["week__number", "slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def bundle_path(self) -> Path:
        return settings.ARENA_ASSIGNMENTS / self.bundle_dir

    @property
    def queue(self) -> str:
        return "gpu" if self.gpu else "cpu"

    @property
    def max_upload_bytes(self) -> int:
        return min(self.max_upload_mb, settings.ARENA_MAX_UPLOAD_MB) * 1024 * 1024

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at is None or self.opens_at <= now

    def deadline_passed(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.deadline is not None and self.deadline <= now

    def extension_for(self, user: AnyUser) -> DeadlineExtension | None:
        if not user.is_authenticated:
            return None
        return self.extensions.filter(user_id=user.pk).first()

    def private_board_visible_to(self, user: AnyUser) -> bool:
        """The private board shows to mentors always, to others once revealed after the deadline."""
        if is_mentor(user):
            return True
        return self.private_revealed and self.deadline_passed()


class HiddenDataset(models.Model):
    """Where a bundle's hidden data was built. Never served: only workers read the path."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="hidden")
    content_hash = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "content_hash"], name="unique_hidden_dataset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment.slug}@{self.content_hash[:12]}"


class DeadlineExtension(models.Model):
    """One mentee's later deadline for one assignment (the assignment's deadline still closes
    the private pick and the reveal: an extension only lets that mentee upload)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deadline_extensions"
    )
    until = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assignment", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="one_extension_per_mentee"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment.slug}: {self.user} until {self.until:%Y-%m-%d %H:%M}"


class LateMark(models.Model):
    """A submission uploaded after its mentee's deadline and accepted under the penalty policy:
    how many days late, counted by the server clock at upload (never recomputed)."""

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, related_name="late_mark"
    )
    days_late = models.PositiveIntegerField()
    deadline = models.DateTimeField(help_text="The mentee's deadline it was late for.")

    def __str__(self) -> str:
        return f"#{self.submission_id}: {self.days_late} day(s) late"


class AuditEvent(models.Model):
    """Who changed which course setting from what to what, and when. Text copies of the names,
    so the record outlives a deleted user or assignment."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    assignment = models.ForeignKey(
        Assignment, on_delete=models.SET_NULL, null=True, related_name="audit_events"
    )
    subject = models.CharField(max_length=200, help_text="The assignment (and mentee) changed.")
    field = models.CharField(max_length=64)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.subject} {self.field}"
