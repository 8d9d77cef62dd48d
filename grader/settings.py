"""The grader's ``ARENA_*`` settings, read here and only when asked (never at import time), so
a test or a worker that sets the environment later is obeyed."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def assignments_root() -> Path:
    """``ARENA_ASSIGNMENTS`` overrides ``<repo>/assignments``."""
    configured = os.environ.get("ARENA_ASSIGNMENTS")
    return Path(configured).resolve() if configured else REPO_ROOT / "assignments"
