"""The Celery app. Its settings live in settings.py (``CELERY_*``), chosen so that a worker
killed at any moment loses nothing: ids are enqueued only after the transaction commits, and a
task claims its row with a conditional update, so redelivered or swept duplicates are harmless.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena_site.settings")

app = Celery("arena")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
