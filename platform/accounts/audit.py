"""Mentors' account actions join the course's audit trail (courses.AuditEvent, shown on the
dashboard): who invited, withdrew, disabled or revoked whom, and when."""

from __future__ import annotations

from courses.models import AuditEvent
from django.contrib.auth.models import AbstractBaseUser


def record(actor: AbstractBaseUser, subject: str, field: str, old: str, new: str) -> None:
    AuditEvent.objects.create(
        actor_id=actor.pk,
        actor_name=actor.get_username(),
        assignment=None,  # about a person, not an assignment
        subject=subject[:200],
        field=field,
        old_value=old,
        new_value=new,
    )
