"""Mentor actions that change state and have no home in the core apps yet."""

from __future__ import annotations

from courses.models import Assignment


class RevealRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def set_private_board_revealed(assignment: Assignment, revealed: bool) -> None:
    """Reveals (or hides again) an assignment's private leaderboard. Revealing before the
    deadline is refused: the private split must not be probed while submissions are open."""
    if revealed and not assignment.deadline_passed():
        when = (
            f"its deadline, {assignment.deadline:%Y-%m-%d %H:%M} UTC"
            if assignment.deadline
            else "a deadline is set"
        )
        raise RevealRefused(
            f"The private leaderboard of {assignment.title} can be revealed after {when}."
        )
    assignment.private_revealed = revealed
    assignment.save(update_fields=["private_revealed"])
