from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from submissions import dispatcher


class Command(BaseCommand):
    help = (
        "Sends queued submissions the broker has not accepted and re-queues the runs of lost "
        "workers, every ARENA_DISPATCH_INTERVAL seconds. Runs beside the workers (make run, "
        "compose's dispatcher service); several at once are harmless."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=settings.ARENA_DISPATCH_INTERVAL)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        dispatcher.run(options["interval"], stop)
