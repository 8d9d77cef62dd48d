"""A submission and its way through grading: queued -> running -> scored|failed|error|rejected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import PurePath
from typing import Any

from courses.models import Assignment
from courses.roles import AnyUser, is_mentor
from django.conf import settings
from django.db import models
from django.utils import timezone

from submissions.storage import upload_name, upload_storage


class Status(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SCORED = "scored"
    FAILED = "failed"
    ERROR = "error"
    REJECTED = "rejected"


FINAL_STATUSES = frozenset({Status.SCORED, Status.FAILED, Status.ERROR, Status.REJECTED})


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def visible_to(self, user: AnyUser) -> SubmissionQuerySet:
        """Mentors see every submission; a mentee only their own; anonymous visitors none."""
        if is_mentor(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def counting_against_quota(self, user: AnyUser, assignment: Assignment) -> SubmissionQuerySet:
        """Uploads in the last 24 hours, except those refused as invalid or broken by us (and
        those a rejudge revived: a mentor's rejudge never costs the mentee an upload)."""
        since = timezone.now() - timedelta(days=1)
        return (
            self.filter(owner=user, assignment=assignment, created_at__gte=since)
            .exclude(status__in=[Status.REJECTED, Status.ERROR])
            .exclude(quota_exempt=True)
        )

    def undispatched(self) -> SubmissionQuerySet:
        """Queued rows the broker has not accepted a message for (the outbox)."""
        return self.filter(status=Status.QUEUED, dispatched_at__isnull=True)

    def stalled(self) -> SubmissionQuerySet:
        """Running rows whose worker stopped sending heartbeats (killed, machine lost)."""
        cutoff = timezone.now() - timedelta(seconds=settings.ARENA_GRADING_LEASE)
        return self.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff)


class Submission(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    file = models.FileField(upload_to=upload_name, storage=upload_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    original_filename = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # A worker writes results only while the row still carries its own claim token, so a
    # presumed-dead worker that wakes up cannot overwrite a report. `attempt` counts claims
    # since the last (re)judging and bounds how often a submission that kills workers is retried.
    attempt = models.PositiveIntegerField(default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    infra_failures = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The broker queue (cost class, ``submissions.queue``) it waits on; set when it is queued.
    queue = models.CharField(max_length=16, blank=True)
    # When it joined the queue (upload or rejudge): the order of the fair schedule and of the
    # queue position. `enqueued_at` below is when it may next be claimed (retry back-off).
    queued_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When the broker accepted the grading message; empty: still in the outbox (see queue.py).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    report = models.JSONField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    error_kind = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    selected = models.BooleanField(
        default=False, help_text="Chosen by the mentee for the private leaderboard."
    )
    # How many times it was judged: 1 after the upload's grading, +1 per rejudge. A rejudge
    # request names the judging it saw, so a double click rejudges once.
    judging = models.PositiveIntegerField(default=1)
    # What graded the standing report (bundle content hash, grader version): a rejudge "by
    # version" picks the rows whose bundle differs from the assignment's current one.
    bundle_hash = models.CharField(max_length=64, blank=True)
    grader_version = models.CharField(max_length=64, blank=True)
    # Set by a rejudge of a run that did not count against the quota (rejected, error), so
    # that reviving it does not take one of the mentee's uploads.
    quota_exempt = models.BooleanField(default=False)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignment", "owner", "status"]),
            models.Index(fields=["status", "queued_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.assignment.slug} by {self.owner}"

    @property
    def extension(self) -> str:
        return PurePath(self.original_filename).suffix.lower()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def metrics(self) -> dict[str, Any]:
        metrics = (self.report or {}).get("metrics")
        return metrics if isinstance(metrics, dict) else {}

    @property
    def checks(self) -> list[dict[str, Any]]:
        checks = (self.report or {}).get("checks")
        return checks if isinstance(checks, list) else []

    @property
    def logs(self) -> str:
        logs = (self.report or {}).get("logs")
        return logs if isinstance(logs, str) else ""

    @property
    def error(self) -> dict[str, str] | None:
        if not self.error_kind and not self.error_message:
            return None
        return {"kind": self.error_kind, "message": self.error_message}

    def can_be_seen_by(self, user: AnyUser) -> bool:
        return is_mentor(user) or (user.is_authenticated and self.owner_id == user.pk)


class GradingReport(models.Model):
    """One judging's outcome, kept for ever: a rejudge adds a row, never overwrites one.
    The submission's own fields hold the standing (latest) report."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reports")
    judging = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    score = models.FloatField(null=True, blank=True)
    report = models.JSONField(null=True, blank=True)
    error_kind = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    bundle_hash = models.CharField(max_length=64, blank=True)
    grader_version = models.CharField(max_length=64, blank=True)
    # "upload" (decided in the web request), "worker" (a grading), "rejudge" (a later judging).
    origin = models.CharField(max_length=16, default="worker")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(default=timezone.now)
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["submission", "judging"])]

    def __str__(self) -> str:
        return f"#{self.submission_id} judging {self.judging}: {self.status}"
