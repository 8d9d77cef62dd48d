"""Who may see what: mentors (staff or the Mentors group) see everything, mentees their own."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MENTORS_GROUP = "Mentors"

AnyUser = AbstractBaseUser | AnonymousUser


# Asked several times per request (a board asks for each of its parts): the answer is kept on
# the user object, which lives for one request, and dropped when that object's groups change.
_MEMO = "_arena_is_mentor"


def is_mentor(user: AnyUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    memo = user.__dict__.get(_MEMO)
    if memo is None:
        memo = user.groups.filter(name=MENTORS_GROUP).exists()
        user.__dict__[_MEMO] = memo
    return bool(memo)


def forget_role(user: object) -> None:
    """Drop the kept answer of ``is_mentor`` (the user's groups changed)."""
    getattr(user, "__dict__", {}).pop(_MEMO, None)
