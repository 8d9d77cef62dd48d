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
