"""Where the data layer keeps its files: under ``ARENA_HOME`` (default ``<repo>/var``)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def arena_home() -> Path:
    """The run-time root; ``ARENA_HOME`` overrides ``<repo>/var``."""
    configured = os.environ.get("ARENA_HOME")
    return Path(configured).resolve() if configured else REPO_ROOT / "var"


def data_cache_dir() -> Path:
    """``var/cache/data``: real data fetched by ``make data``."""
    return arena_home() / "cache" / "data"


def assignments_dir() -> Path:
    return REPO_ROOT / "assignments"
