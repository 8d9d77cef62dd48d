"""What mentors change on the platform to run a course: each assignment's schedule and rules, and
per-mentee deadline extensions. Every change is written to the audit trail (``AuditEvent``) in
the same transaction, so a setting never changes without its record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from courses.models import Assignment, AuditEvent, DeadlineExtension
from courses.roles import AnyUser

# The fields a mentor sets; ``seed_course`` gives them only to a new assignment.
SETTING_FIELDS = (
    "published",
    "public",
    "opens_at",
    "deadline",
    "late_policy",
    "late_penalty_percent",
    "daily_quota",
    "max_in_flight",
    "max_selected",
)
# A change to these changes board scores of late submissions already on the boards.
_PENALTY_FIELDS = frozenset({"late_policy", "late_penalty_percent"})


def shown(value: Any) -> str:
    """How a value reads in the audit trail."""
    if value is None:
        return "none"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def update_settings(
    assignment: Assignment, actor: AnyUser, changes: Mapping[str, Any]
) -> list[AuditEvent]:
    """Saves the fields of ``changes`` that differ, one audit event each; returns the events."""
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"not a course setting: {sorted(unknown)}")
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        events = []
        for name, new in changes.items():
            old = getattr(locked, name)
            if old == new:
                continue
            setattr(locked, name, new)
            events.append(_event(actor, locked, locked.slug, name, old, new))
        if events:
            locked.save(update_fields=[e.field for e in events])
            AuditEvent.objects.bulk_create(events)
            if _PENALTY_FIELDS & {e.field for e in events}:
                transaction.on_commit(lambda: recompute_boards(locked))
    for event in events:
        setattr(assignment, event.field, getattr(locked, event.field))
    return events


def grant_extension(
    assignment: Assignment, mentee: AnyUser, until: datetime, actor: AnyUser
) -> DeadlineExtension:
    with transaction.atomic():
        previous = (
            DeadlineExtension.objects.select_for_update()
            .filter(assignment=assignment, user_id=mentee.pk)
            .first()
        )
        extension, _ = DeadlineExtension.objects.update_or_create(
            assignment=assignment,
            user_id=mentee.pk,
            defaults={"until": until, "granted_by_id": actor.pk},
        )
        old = previous.until if previous else None
        if old != until:
            subject = f"{assignment.slug} for {mentee.get_username()}"
            _event(actor, assignment, subject, "extension", old, until).save()
    return extension


def revoke_extension(assignment: Assignment, mentee: AnyUser, actor: AnyUser) -> bool:
    with transaction.atomic():
        extension = (
            DeadlineExtension.objects.select_for_update()
            .filter(assignment=assignment, user_id=mentee.pk)
            .first()
        )
        if extension is None:
            return False
        subject = f"{assignment.slug} for {mentee.get_username()}"
        _event(actor, assignment, subject, "extension", extension.until, None).save()
        extension.delete()
    return True


def record(actor: AnyUser, assignment: Assignment, field: str, old: Any, new: Any) -> None:
    """An audit event for a mentor action outside the settings form (the private board's
    reveal, say)."""
    _event(actor, assignment, assignment.slug, field, old, new).save()


def recompute_boards(assignment: Assignment) -> None:
    """Every entry of the assignment again, so a changed penalty shows on its boards."""
    from django.contrib.auth import get_user_model
    from leaderboards.services import update_entry
    from submissions.models import Submission

    owners = Submission.objects.filter(assignment=assignment).values("owner").distinct()
    for user in get_user_model().objects.filter(pk__in=owners):
        update_entry(assignment, user)


def _event(
    actor: AnyUser, assignment: Assignment, subject: str, field: str, old: Any, new: Any
) -> AuditEvent:
    return AuditEvent(
        actor_id=actor.pk,
        actor_name=actor.get_username(),
        assignment=assignment,
        subject=subject,
        field=field,
        old_value=shown(old),
        new_value=shown(new),
    )
