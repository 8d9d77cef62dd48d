"""The mentee's pick for the private leaderboard: locked at the deadline, limited under a lock.

The limit is counted while the mentee's submission rows of the assignment are locked
(``select_for_update``), so two selects sent at once are decided one after the other and can
never exceed ``max_selected``. The assignment row is locked too, so a reveal or a deadline change
committed meanwhile is seen. The lock order (submissions, then the user row in
``update_entry``) is the grading pipeline's order, so the two never deadlock.
"""

from __future__ import annotations

from courses.models import Assignment
from django.db import transaction
from django.utils import timezone
from submissions.models import Status, Submission
from submissions.uploads import SubmissionRefused


def set_selected(submission: Submission, selected: bool) -> None:
    """Marks a scored submission for the private leaderboard, up to the assignment's limit."""
    from leaderboards.services import update_entry

    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=submission.assignment_id)
        _check_pick_open(assignment)
        mine = list(
            Submission.objects.select_for_update()
            .filter(owner=submission.owner_id, assignment=assignment)
            .order_by("pk")
        )
        target = next((s for s in mine if s.pk == submission.pk), None)
        if target is None:
            raise SubmissionRefused("This submission no longer exists.", http_status=404)
        if selected and target.status != Status.SCORED:
            raise SubmissionRefused("Only a scored submission can be selected.")
        if selected and not target.selected:
            limit = assignment.max_selected
            if sum(s.selected for s in mine) >= limit:
                raise SubmissionRefused(
                    f"You may select at most {limit} submissions; unselect one first."
                )
        target.selected = selected
        target.save(update_fields=["selected"])
        update_entry(assignment, target.owner)
    submission.selected = selected


def _check_pick_open(assignment: Assignment) -> None:
    """The private board is computed from the picks standing at the deadline: after it (and
    after a reveal) a pick can no longer be changed."""
    if assignment.private_revealed:
        raise SubmissionRefused(
            "The private leaderboard has been revealed: the selection can no longer change.",
            http_status=409,
        )
    if assignment.deadline_passed(timezone.now()):
        raise SubmissionRefused(
            f"The deadline passed on {assignment.deadline:%Y-%m-%d %H:%M} UTC: the selection "
            "for the private leaderboard is final.",
            http_status=409,
        )
