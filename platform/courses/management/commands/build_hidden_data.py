from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.hidden import build_hidden
from courses.models import Assignment


class Command(BaseCommand):
    help = "Builds the hidden test data of every loaded assignment (or the named ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="assignments to build (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        assignments = Assignment.objects.all()
        if options["slugs"]:
            assignments = assignments.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - {a.slug for a in assignments}
            if missing:
                raise CommandError(f"Unknown assignments: {', '.join(sorted(missing))}")
        for assignment in assignments:
            dataset = build_hidden(assignment)
            self.stdout.write(f"  {assignment.slug}: {dataset.path}")
        self.stdout.write(self.style.SUCCESS("Hidden data ready."))
