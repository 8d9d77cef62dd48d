"""Who belongs to which course, and the invitations that bring mentees in."""

from __future__ import annotations

from datetime import datetime

from courses.models import Course
from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    MENTEE = "mentee", "mentee"
    MENTOR = "mentor", "mentor"


class Enrolment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MENTEE)
    enrolled_at = models.DateTimeField(default=timezone.now)
    invitation = models.ForeignKey(
        "Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["course", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="unique_enrolment"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course.slug} ({self.role})"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, now: datetime | None = None) -> InvitationQuerySet:
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """One link for one address. Only the SHA-256 of the link's token is stored: a copy of the
    database does not hold working links."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    username = models.CharField(
        max_length=150, blank=True, help_text="Suggested username; the invitee may change it."
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MENTEE)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accepted_invitations",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["course", "email"])]

    def __str__(self) -> str:
        return f"{self.email} to {self.course.slug}"

    def status(self, now: datetime | None = None) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "withdrawn"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "pending"
