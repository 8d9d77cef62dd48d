"""Django project of Deep Dive Arena; importing it loads the Celery app so tasks find it."""

from arena_site.celery import app as celery_app

__all__ = ["celery_app"]
