"""The grader's ``ARENA_*`` settings, read here and only when asked (never at import time), so
a test or a worker that sets the environment later is obeyed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def assignments_root() -> Path:
    """``ARENA_ASSIGNMENTS`` overrides ``<repo>/assignments``."""
    configured = os.environ.get("ARENA_ASSIGNMENTS")
    return Path(configured).resolve() if configured else REPO_ROOT / "assignments"


def default_sandbox() -> str:
    """``ARENA_SANDBOX``: the grading CLI's ``--sandbox`` default (``auto`` picks the safest)."""
    return os.environ.get("ARENA_SANDBOX") or "auto"


def default_gpus() -> str:
    """``ARENA_GPUS``: the grading CLI's ``--gpus`` default (``none``, ``all`` or a device)."""
    return os.environ.get("ARENA_GPUS") or "none"


def runner_image(default: str) -> str:
    """``ARENA_RUNNER_IMAGE``: the container sandboxes' image."""
    return os.environ.get("ARENA_RUNNER_IMAGE") or default


def sandbox_cpus() -> int:
    """``ARENA_SANDBOX_CPUS``: CPUs a container sandbox may use (one graded job per worker);
    all the host's by default."""
    return int(os.environ.get("ARENA_SANDBOX_CPUS") or os.cpu_count() or 1)


def sandbox_python() -> str:
    """``ARENA_SANDBOX_PYTHON``: the interpreter sandboxes run; the one running us by default."""
    return os.environ.get("ARENA_SANDBOX_PYTHON") or sys.executable


def cgroup_parent() -> str:
    """``ARENA_CGROUP_PARENT``: the cgroup v2 folder the sandboxes' cgroups are made under."""
    return os.environ.get("ARENA_CGROUP_PARENT") or "arena"


def spare_sandboxes() -> bool:
    """``ARENA_SPARE_SANDBOXES``: ``0`` turns off pre-started sandboxes (``grader/stages/
    spares.py``); on by default for the backends that have them (bwrap, none)."""
    return (os.environ.get("ARENA_SPARE_SANDBOXES") or "1").strip() not in ("0", "false", "no")
