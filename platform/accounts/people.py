"""The accounts mentors look after: who is in which course, as what, with which API token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from courses.roles import is_mentor
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from accounts import audit
from accounts.api_tokens import expires_at, is_expired, revoke_tokens
from accounts.models import Enrolment, Role


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    name: str
    email: str
    mentor: bool
    active: bool
    courses: list[str]
    last_login: datetime | None
    token_expires: datetime | None
    token_expired: bool


def people() -> list[Person]:
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    tokens = {token.user_id: token for token in Token.objects.all()}
    courses = _courses_by_user()
    return [_person(user, tokens.get(user.pk), courses.get(user.pk, [])) for user in users]


class NotAllowed(Exception):
    """The message says why the account cannot be changed from here."""


def set_active(actor, user, active: bool) -> None:  # type: ignore[no-untyped-def]
    """Disables (or enables again) a mentee who left the course: their sessions and token stop
    working at once, their submissions and board entries stay. Mentors and superusers are
    changed by a superuser in /admin/, never by another mentor."""
    if user.is_superuser or is_mentor(user):
        raise NotAllowed(f"{user.get_username()} is a mentor: only a superuser can disable them.")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        states = ("disabled", "active") if active else ("active", "disabled")
        audit.record(actor, user.get_username(), "account", *states)
    if not active:
        revoke_tokens(user)


def mentees_of(course_id: int) -> QuerySet[Enrolment]:
    """Enrolled mentees of a course (for other apps: progress grids, exports)."""
    return Enrolment.objects.filter(course_id=course_id, role=Role.MENTEE, user__is_active=True)


def _courses_by_user() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for enrolment in Enrolment.objects.select_related("course"):
        found.setdefault(enrolment.user_id, []).append(
            f"{enrolment.course.title} ({enrolment.role})"
        )
    return found


def _person(user, token: Token | None, courses: list[str]) -> Person:  # type: ignore[no-untyped-def]
    return Person(
        id=user.pk,
        username=user.get_username(),
        name=user.get_full_name(),
        email=user.email,
        mentor=is_mentor(user),
        active=user.is_active,
        courses=courses,
        last_login=user.last_login,
        token_expires=expires_at(token) if token else None,
        token_expired=bool(token and is_expired(token)),
    )
