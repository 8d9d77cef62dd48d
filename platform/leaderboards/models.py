"""One leaderboard entry per mentee per assignment, recomputed from their scored submissions."""

from __future__ import annotations

from courses.models import Assignment
from django.conf import settings
from django.db import models


class LeaderboardEntry(models.Model):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="leaderboard_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaderboard_entries"
    )
    # Best score on the public split, and the submission that earned it.
    public_submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="+"
    )
    public_score = models.FloatField()
    # Best private-split score among the selected submissions (or the public best if none).
    private_submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="+", null=True
    )
    private_score = models.FloatField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="one_entry_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment.slug}: {self.user} {self.public_score:.2f}"


class RankReview(models.Model):
    """A mentor's decision on a flagged report (the memorisation audit): who decided, when.

    A decision holds for the report it was made on (``report_sha256``): a rejudge that raises
    the flag again needs a new decision, and a rejudge in flight keeps the decision it had.
    """

    class Decision(models.TextChoices):
        CLEARED = "cleared", "cleared: it ranks"
        CONFIRMED = "confirmed", "confirmed: it does not rank"

    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="rank_reviews"
    )
    report_sha256 = models.CharField(max_length=64)
    flags = models.JSONField(default=list)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rank_reviews"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.submission_id} {self.decision} by {self.decided_by}"


class BoardSettings(models.Model):
    """A course's leaderboard rules that are not the bundle's: whether public boards show
    pseudonyms instead of usernames (mentors always see the real names)."""

    course = models.OneToOneField(
        "courses.Course", on_delete=models.CASCADE, related_name="board_settings"
    )
    pseudonyms = models.BooleanField(
        default=False,
        help_text="Public boards name mentees by a stable pseudonym; mentors see real names.",
    )

    class Meta:
        verbose_name_plural = "board settings"

    def __str__(self) -> str:
        return f"{self.course}: {'pseudonyms' if self.pseudonyms else 'usernames'}"


class Pseudonym(models.Model):
    """The name one mentee goes by on one course's public boards: drawn once, then kept."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="one_pseudonym_per_course"),
            models.UniqueConstraint(fields=["course", "name"], name="unique_pseudonym_in_course"),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.name}"


class Baseline(models.Model):
    """The bundle's reference solution graded as a submission of the system baseline user:
    shown on every board of its assignment, marked as such, never ranked among mentees.
    ``bundle_hash`` is the bundle it was submitted for: a changed bundle grades a new one."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="baseline")
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="+"
    )
    bundle_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.assignment.slug}: baseline #{self.submission_id}"
