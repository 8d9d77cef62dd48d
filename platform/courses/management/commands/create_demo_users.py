from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from courses.roles import MENTORS_GROUP

# Published in the README: they exist only in demo mode (ARENA_DEMO=1).
DEMO_MENTOR = ("mentor", "mentor-demo")
DEMO_MENTEES = [("mentee1", "mentee-demo"), ("mentee2", "mentee-demo"), ("mentee3", "mentee-demo")]


class Command(BaseCommand):
    help = "Creates the demo accounts (mentor, mentee1..3). Refuses unless ARENA_DEMO=1."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ARENA_DEMO:
            raise CommandError(
                "Demo accounts have published passwords: set ARENA_DEMO=1 to create them."
            )
        mentors, _ = Group.objects.get_or_create(name=MENTORS_GROUP)
        mentor = _account(*DEMO_MENTOR, staff=True)
        mentor.groups.add(mentors)
        for username, password in DEMO_MENTEES:
            _account(username, password, staff=False)
        self.stdout.write(self.style.SUCCESS("Demo accounts ready."))


def _account(username: str, password: str, staff: bool) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.is_staff = staff
    # Setting the same password again would revoke the account's API token at every restart.
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    return user
