from __future__ import annotations

from typing import Any

from courses.models import Assignment
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaderboards.baselines import grade_baseline


class Command(BaseCommand):
    help = (
        "Submits each assignment's reference solution (solution/) for grading as the baseline "
        "row of its boards. Safe to run again: only a changed solution or bundle is regraded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="assignments (default: all)")
        parser.add_argument("--force", action="store_true", help="grade again even if unchanged")

    def handle(self, *args: Any, **options: Any) -> None:
        assignments = Assignment.objects.all().order_by("week__number", "slug")
        if options["slugs"]:
            assignments = assignments.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(assignments.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No such assignment: {', '.join(sorted(missing))}.")
        for assignment in assignments:
            done, submission = grade_baseline(assignment, force=options["force"])
            suffix = f" (#{submission.pk}, {submission.status})" if submission else ""
            self.stdout.write(f"  {assignment.slug}: {done}{suffix}")
        self.stdout.write(self.style.SUCCESS("Baselines are queued or graded."))
