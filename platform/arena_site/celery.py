"""The Celery app. Its settings live in settings.py (``CELERY_*``), chosen so that a worker
killed at any moment loses nothing: ids are enqueued only after the transaction commits, and a
task claims its row with a conditional update, so redelivered or swept duplicates are harmless.
"""

from __future__ import annotations

import os

from celery import Celery

from grader.sandbox.slots import worker_concurrency

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena_site.settings")

app = Celery("arena")
app.config_from_object("django.conf:settings", namespace="CELERY")
# As many gradings at once as the machine has CPU slots (ARENA_SANDBOX_SLOTS, one sandbox per
# slot on cores of its own, grader/sandbox/slots.py); 1 without slots. --concurrency wins.
# A default read when the configuration loads, not at import.
app.add_defaults(lambda: {"worker_concurrency": worker_concurrency()})
app.autodiscover_tasks()
