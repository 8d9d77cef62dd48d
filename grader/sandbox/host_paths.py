"""Bind sources the Docker engine can see, for a grading worker that runs in a container itself.

The engine resolves a bind mount's source on *its* host, not in the worker's container: a path
that exists only inside the worker (``/app/grader/harness``, ``/tmp/arena-*``) is missing or,
worse, something else there. ``ARENA_DOCKER_HOST_PATHS`` lists the folders the worker sees at
the same path as the engine's host (a host folder mounted at the same path, e.g. ``ARENA_HOME``,
with ``TMPDIR`` below it). With it set, every bind source must lie under one of them:

- a read-only source elsewhere (the harness, baked into the worker image) is copied once, by
  content hash, to ``$TMPDIR/arena-engine-stage/<sha256>`` (read-only) and bound from there;
- a writable source elsewhere (the IPC directory) cannot be copied: a clear error says to put
  ``TMPDIR`` under a listed folder.

Unset: the worker runs on the engine's host and every path is a host path (``make run``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from grader.errors import GraderError

ENV_VAR = "ARENA_DOCKER_HOST_PATHS"
STAGE_FOLDER = "arena-engine-stage"
_FIX = (
    f"list in {ENV_VAR} the folders this worker sees at the same path as the Docker engine's "
    "host, and set TMPDIR to a folder below one of them (docs/deployment.md)"
)


def host_paths() -> tuple[str, ...] | None:
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    return tuple(os.path.realpath(p) for p in raw.split(":") if p.strip())


def _visible(path: str, roots: tuple[str, ...]) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots)


def engine_source(path: str | Path, *, writable: bool = False, copyable: bool = True) -> str:
    """The path to give the engine for bind source ``path`` (see the module docstring)."""
    roots = host_paths()
    if roots is None or _visible(str(path), roots):
        return str(path)
    if writable or not copyable:
        raise GraderError(f"the Docker engine cannot see {path} at that path: {_FIX}")
    return str(_staged_copy(Path(path), roots))


def _staged_copy(source: Path, roots: tuple[str, ...]) -> Path:
    stage = Path(tempfile.gettempdir()) / STAGE_FOLDER
    if not _visible(str(stage.parent), roots):
        raise GraderError(f"TMPDIR ({stage.parent}) is not below {ENV_VAR}: {_FIX}")
    target = stage / _tree_sha256(source)
    if target.exists():
        return target
    stage.mkdir(mode=0o755, exist_ok=True)
    draft = Path(tempfile.mkdtemp(prefix=".draft-", dir=stage))
    copy = draft / "tree"
    if source.is_dir():
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copyfile(source, copy)
    _read_only(copy)
    os.chmod(draft, 0o755)
    try:
        os.rename(copy, target)  # complete or absent; a racing worker's equal copy wins
    except OSError:
        if not target.exists():
            raise
    shutil.rmtree(draft, ignore_errors=True)
    return target


def _tree_sha256(source: Path) -> str:
    digest = hashlib.sha256()
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    for path in files:
        digest.update(str(path.relative_to(source)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
        path.chmod(0o555 if path.is_dir() else 0o444)
