from __future__ import annotations

from typing import Any

from courses.models import Assignment
from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.models import Submission
from submissions.rejudge import rejudge_assignment, rejudge_one, rejudge_outdated


class Command(BaseCommand):
    help = (
        "Grades finished submissions again: one (--submission ID), a whole assignment "
        "(--assignment SLUG), or everything graded by an older bundle version (--outdated, in "
        "one assignment with --assignment). Queued and running ones are left alone; the earlier "
        "reports stay in each submission's history; mentees' quotas are not touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--submission", type=int, help="the id of one submission")
        parser.add_argument("--assignment", help="an assignment's slug")
        parser.add_argument(
            "--outdated",
            action="store_true",
            help="only what an older bundle version graded (clears 'bundle updated: rejudge?')",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        submission_id, slug = options["submission"], options["assignment"]
        if submission_id is not None and (slug or options["outdated"]):
            raise CommandError("--submission goes alone.")
        if submission_id is not None:
            count = self._one(submission_id)
        elif options["outdated"]:
            count = rejudge_outdated(self._assignment(slug) if slug else None)
        elif slug:
            count = rejudge_assignment(self._assignment(slug))
        else:
            raise CommandError(
                "Say what to rejudge: --submission ID, --assignment SLUG or --outdated."
            )
        self.stdout.write(f"{count} submission{'s' if count != 1 else ''} queued again.")

    def _one(self, submission_id: int) -> int:
        submission = (
            Submission.objects.select_related("assignment").filter(pk=submission_id).first()
        )
        if submission is None:
            raise CommandError(f"There is no submission #{submission_id}.")
        return int(rejudge_one(submission))

    def _assignment(self, slug: str) -> Assignment:
        assignment = Assignment.objects.filter(slug=slug).first()
        if assignment is None:
            slugs = ", ".join(Assignment.objects.values_list("slug", flat=True))
            raise CommandError(f"There is no assignment {slug!r} (there are: {slugs}).")
        return assignment
