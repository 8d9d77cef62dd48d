"""The mentor role: the Mentors group, its model permissions, and staff status for /admin/.

Mentors see every model of the course apps and change what running a course needs. They are
never given auth.change_user: the admin's user form edits is_superuser and permissions, so
that right would let a mentor make themselves a superuser.
"""

from __future__ import annotations

from typing import Any

from courses.roles import MENTORS_GROUP
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import connections, transaction

# Every model of these apps is visible to mentors in the admin.
VIEWED_APPS = ("courses", "submissions", "leaderboards", "accounts", "dashboard")
# Beyond viewing: "app.codename" of what mentors change.
GRANTED = (
    "courses.change_course",
    "courses.change_week",
    "courses.change_assignment",
    "accounts.add_invitation",
    "accounts.change_invitation",
    "accounts.add_enrolment",
    "accounts.change_enrolment",
    "accounts.delete_enrolment",
    "auth.view_user",
)


def mentor_permissions() -> list[Permission]:
    viewed = Permission.objects.filter(
        content_type__app_label__in=VIEWED_APPS, codename__startswith="view_"
    )
    granted = [
        Permission.objects.filter(content_type__app_label=app, codename=codename).first()
        for app, codename in (name.split(".", 1) for name in GRANTED)
    ]
    return [*viewed, *(p for p in granted if p is not None)]


def ensure_mentor_group() -> Group:
    """Creates the group or brings its permissions up to date (idempotent)."""
    group, _ = Group.objects.get_or_create(name=MENTORS_GROUP)
    group.permissions.add(*mentor_permissions())
    return group


def ensure_mentor_group_after_migrate(using: str = "default", **kwargs: Any) -> None:
    # A migrate that unapplies auth (to zero, say) leaves no table to fill.
    if Group._meta.db_table not in connections[using].introspection.table_names():
        return
    ensure_mentor_group()


@transaction.atomic
def grant_mentor_role(user: AbstractUser) -> None:
    user.groups.add(ensure_mentor_group())
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
