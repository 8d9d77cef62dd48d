"""A bundle folder as one reproducible tar, so a worker fetches it by SHA-256 like any blob.

Same files, same bytes: entries sorted, times, owners and modes normalised, caches and dot
files left out. The archive is rebuilt only when a file's size or mtime changed.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

_SKIPPED_DIRS = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class BundleArchive:
    sha256: str
    data: bytes


_cache: dict[Path, tuple[tuple[tuple[str, int, int], ...], BundleArchive]] = {}


def bundle_archive(folder: Path) -> BundleArchive:
    folder = folder.resolve()
    files = _bundle_files(folder)
    signature = tuple(
        (name, path.stat().st_size, path.stat().st_mtime_ns) for name, path in files
    )
    cached = _cache.get(folder)
    if cached is not None and cached[0] == signature:
        return cached[1]
    data = _archive(files)
    archive = BundleArchive(hashlib.sha256(data).hexdigest(), data)
    _cache[folder] = (signature, archive)
    return archive


def _bundle_files(folder: Path) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part in _SKIPPED_DIRS for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix != ".pyc":
            found.append((relative.as_posix(), path))
    return found


def _archive(files: list[tuple[str, Path]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in files:
            content = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
