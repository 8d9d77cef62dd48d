"""Mentor actions that change state and have no home in the core apps yet."""

from __future__ import annotations

from courses.models import Assignment
from courses.roles import AnyUser
from courses.setup import record
from django.db import transaction


class RevealRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def set_private_board_revealed(
    assignment: Assignment, revealed: bool, actor: AnyUser | None = None
) -> None:
    """Reveals (or hides again) an assignment's private leaderboard. Revealing before the
    deadline is refused: the private split must not be probed while submissions are open.
    The row is locked, so a pick being changed at that moment (``leaderboards.selection``)
    either commits before the reveal or sees it and is refused."""
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if revealed and not locked.deadline_passed():
            when = (
                f"its deadline, {locked.deadline:%Y-%m-%d %H:%M} UTC"
                if locked.deadline
                else "a deadline is set"
            )
            raise RevealRefused(
                f"The private leaderboard of {locked.title} can be revealed after {when}."
            )
        if actor is not None and locked.private_revealed != revealed:
            record(actor, locked, "private_revealed", locked.private_revealed, revealed)
        locked.private_revealed = revealed
        locked.save(update_fields=["private_revealed"])
    assignment.private_revealed = revealed
