"""What a report was graded by: the bundle's content hash and the grader's version.

The grader's version is the project version plus a hash of the grader's own source (the
library, its harness and sandbox code), computed where the grading runs: a worker with other
grader code names a different version, which is exactly when a rejudge may change a verdict.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_GRADER_ROOT = Path(__file__).resolve().parents[2] / "grader"
_SOURCE_SUFFIXES = (".py", ".toml", ".json", ".sh", ".txt")


@lru_cache(maxsize=1)
def grader_version() -> str:
    """``<project version>+<12 hex of the grader's sources>``, e.g. ``0.1.0+3fa1c2d4e5b6``."""
    return f"{_project_version()}+{source_hash(_GRADER_ROOT)[:12]}"


def source_hash(root: Path) -> str:
    """SHA-256 over the relative names and bytes of the source files under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix not in _SOURCE_SUFFIXES or "__pycache__" in path.parts:
            continue
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _project_version() -> str:
    try:
        return metadata.version("deep-dive-arena")
    except metadata.PackageNotFoundError:
        return "0+local"
