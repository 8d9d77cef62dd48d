from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.mentor_role import grant_mentor_role


class Command(BaseCommand):
    help = "Gives an existing account the mentor role (the Mentors group and /admin/ access)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No account is named {username!r}.") from None
        grant_mentor_role(user)
        self.stdout.write(self.style.SUCCESS(f"{username} is a mentor."))
