"""Boards computed once per change of what they show, not once per request.

A board of 200 mentees costs about 80 ms to compute (their reports decoded, each metric's
audience checked) and as much again to render as a page; twenty mentees reloading it at once
would queue behind each other for seconds (``bench/leaderboard_load.py``). So the rows and the
rendered tables are kept in the cache (Redis in production) under the **board version**: a
random token that every write to a model a board reads replaces (``post_save``,
``post_delete`` and ``m2m_changed`` of the course, submission, leaderboard and account apps and
of users and groups). A reader takes the version before it reads the database, so rows it
computed from data a concurrent write is replacing land under a version nobody asks for again;
the token is replaced a second time when the writing transaction commits, for readers that
began between the write and the commit.

What differs per viewer is never taken from the cache blindly: the key holds the viewer's
rights (mentor or not, which audience of metrics), whether they read usernames or pseudonyms,
and for rendered tables the sort; the viewer's own row is marked after the cache.

Writes that bypass signals (``QuerySet.update``) touch only fields no board shows (a run's
claim, its resend time, its infrastructure-failure count, a bundle's pending notice); a new one
that changes what a board shows must call ``bump_board_version``. Only a Redis cache holds boards: the
database cache of ``make run`` without Redis would put the version's row under a lock in every
writing transaction (and computing per request is what it did before). If the cache is
unreachable boards are computed per request too; cached entries also expire after
``BOARD_CACHE_SECONDS`` (a bound on staleness should a replacement of the version be lost).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

log = logging.getLogger(__name__)

BOARD_CACHE_SECONDS = 60
VERSION_KEY = "leaderboards:board-version"
# The apps whose models feed a board (entries, reports, late marks, pseudonyms, reviews,
# course settings, users and their groups). Over-invalidating is cheap; a stale board is not.
WATCHED_APPS = ("courses", "submissions", "leaderboards", "accounts", "auth")

T = TypeVar("T")


def caching_on() -> bool:
    return "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()


def board_version() -> str | None:
    """The current token, created when missing; None when boards are not cached (no Redis
    cache, or it cannot be reached)."""
    if not caching_on():
        return None
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, version, None):  # another process created it first
                version = cache.get(VERSION_KEY) or version
        return str(version)
    except Exception:
        log.warning("board cache unreachable: boards are computed per request", exc_info=True)
        return None


def _replace_version() -> None:
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:
        log.warning("board version not replaced: the cache is unreachable", exc_info=True)


def bump_board_version() -> None:
    """Every cached board is out of date: now, and again once the current transaction commits."""
    if not caching_on():
        return
    _replace_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_replace_version)


def cached_board(parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for the same ``parts`` under the current version."""
    version = board_version()
    if version is None:
        return compute()
    digest = hashlib.sha256(repr((version, parts)).encode()).hexdigest()
    key = f"leaderboards:board:{digest}"
    try:
        found = cache.get(key)
    except Exception:  # noqa: BLE001
        return compute()
    if isinstance(found, tuple) and len(found) == 1:  # kept boxed: a None value is a hit too
        return found[0]  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(key, (value,), BOARD_CACHE_SECONDS)
    except Exception:
        log.warning("board not cached: the cache is unreachable", exc_info=True)
    return value


def _on_write(sender: type, **kwargs: Any) -> None:
    if sender._meta.app_label in WATCHED_APPS:
        bump_board_version()


def connect_signals() -> None:
    """Called once from ``LeaderboardsConfig.ready``."""
    post_save.connect(_on_write, dispatch_uid="leaderboards.board_cache.save")
    post_delete.connect(_on_write, dispatch_uid="leaderboards.board_cache.delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="leaderboards.board_cache.m2m")


def _on_m2m(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    # ``sender`` is the through model (User.groups's); the instance says whose it is.
    if action.startswith("post_") and instance._meta.app_label in WATCHED_APPS:
        bump_board_version()


def watched_models() -> list[str]:
    """For tests and docs: every model whose writes replace the version."""
    return sorted(m._meta.label for m in apps.get_models() if m._meta.app_label in WATCHED_APPS)
