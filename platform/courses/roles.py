"""Who may see what: mentors (staff or the Mentors group) see everything, mentees their own."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MENTORS_GROUP = "Mentors"

AnyUser = AbstractBaseUser | AnonymousUser


def is_mentor(user: AnyUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return user.groups.filter(name=MENTORS_GROUP).exists()
