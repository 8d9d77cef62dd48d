from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.bundles import BundleError
from courses.services import seed_course


class Command(BaseCommand):
    help = "Loads every assignment bundle (assignments/*/assignment.toml). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--assignments", type=Path, help="bundle folder (ARENA_ASSIGNMENTS)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            assignments = seed_course(options["assignments"])
        except BundleError as exc:
            raise CommandError(str(exc)) from exc
        for assignment in assignments:
            self.stdout.write(
                f"  week {assignment.week.number}: {assignment.slug} ({assignment.kind})"
            )
        self.stdout.write(self.style.SUCCESS(f"Loaded {len(assignments)} assignments."))
