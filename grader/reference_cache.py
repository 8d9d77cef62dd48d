"""What the trusted side computes from a bundle alone, computed once per bundle version.

Architecture and train parts rebuild ``reference_models`` with seeded weights, trace them,
write their states (VGG-16 at ImageNet size: 0.55 GB) and run them on the hidden inputs. None
of that depends on the submission, so ``cached(...)`` keeps it under
``ARENA_HOME/cache/references/<slug>/<part>-<key>/``, where the key is a hash of everything the
result is a function of:

- what the bundle says of it (the reference's name and arguments, the input shape, the
  tolerances, the bundle's seed: not the points, so a copy of a bundle with other points or
  fewer checks shares the entries);
- a hash of the hidden inputs it runs on;
- the source of the code that builds the references (``reference_models``, the architecture
  and train kinds, the weights mapping that writes the traced graph, this module), torch's
  version and ``CACHE_FORMAT``: the "grader version" as far as these files go.

A build goes to a temporary folder next to its place, each file fsynced, its SHA-256 recorded
in ``manifest.json``, then renamed into place under a lock (two workers never build the same
entry at once, and nobody ever sees half of one). Every read verifies each file's size and
SHA-256 against the manifest; an entry that does not verify (a truncated file, an edited one)
is removed and built again. The folder holds trusted-side data (expected outputs on hidden
inputs): it is never mounted into a sandbox; stage inputs are linked from it into the
grading's own folder.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from arena_datasets.paths import arena_home

CACHE_FORMAT = 1
MANIFEST = "manifest.json"
REPO_ROOT = Path(__file__).resolve().parent.parent
# The code a cached reference is a function of (directories: every .py file below them).
CODE_PATHS = (
    "reference_models",
    "grader/kinds/architecture",
    "grader/kinds/train/trained_reference.py",
    "grader/harness/arena_harness/param_mapping.py",
    "grader/reference_cache.py",
)
_CHUNK = 1 << 22

log = logging.getLogger(__name__)


class CacheError(RuntimeError):
    """A cache entry could not be written (the disk is full, the folder is not writable)."""


def cache_root() -> Path:
    return arena_home() / "cache" / "references"


@functools.cache
def code_fingerprint() -> str:
    """A hash of the source that builds references, torch's version and the cache format."""
    import torch

    digest = hashlib.sha256(f"format {CACHE_FORMAT}; torch {torch.__version__}\n".encode())
    for relative in CODE_PATHS:
        path = REPO_ROOT / relative
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def entry_key(what: dict[str, Any]) -> str:
    """The hash naming an entry: ``what`` it is computed from (JSON-able: a check's reference,
    kwargs, shapes, tolerances and seed, a hash of the inputs it runs on) and the code."""
    key = {**what, "code": code_fingerprint()}
    canonical = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def array_digest(array: Any) -> str:
    """A hash of an array's dtype, shape and bytes (the hidden inputs an entry runs on)."""
    digest = hashlib.sha256(f"{array.dtype.str} {tuple(array.shape)}".encode())
    digest.update(memoryview(array.tobytes()))
    return digest.hexdigest()


def cached(
    slug: str,
    part: str,
    key: str,
    build: Callable[[Path], None],
    root: Path | None = None,
) -> Path:
    """The verified folder of ``part``'s entry ``key``; ``build(folder)`` fills a new one."""
    base = (root or cache_root()) / slug
    base.mkdir(parents=True, exist_ok=True)
    folder = base / f"{part}-{key}"
    with _locked(base / f".{part}-{key}.lock"):
        if folder.is_dir():
            problem = verify(folder)
            if problem is None:
                return folder
            log.warning("reference cache %s does not verify (%s): rebuilding it", folder, problem)
            shutil.rmtree(folder, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{part}-build-", dir=base))
        try:
            build(staging)
            _write_manifest(staging)
            os.chmod(staging, 0o755)
            os.rename(staging, folder)
        except OSError as exc:
            raise CacheError(f"the reference cache could not be written at {base}: {exc}") from exc
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        _fsync_dir(base)
    return folder


def verify(folder: Path) -> str | None:
    """None if every file of the manifest is there with its size and SHA-256, and nothing
    else is; otherwise what is wrong, in words."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no readable manifest"
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    if present - {MANIFEST} != set(files):
        return "the files differ from the manifest's"
    for name, (size, digest) in files.items():
        path = folder / name
        if path.stat().st_size != size or sha256_file(path) != digest:
            return f"{name} differs from its recorded SHA-256"
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def link_file(source: Path, target: Path) -> None:
    """``source`` at ``target``: a hard link where the filesystem allows (a 0.55 GB state costs
    nothing), else a copy. A link shares the cache's inode: the sandbox sees it through a
    read-only mount, owned by the trusted side."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_manifest(folder: Path) -> None:
    files: dict[str, list[Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        files[path.relative_to(folder).as_posix()] = [path.stat().st_size, sha256_file(path)]
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        os.chmod(path, 0o755)
    for name in files:
        os.chmod(folder / name, 0o644)
    manifest = folder / MANIFEST
    manifest.write_text(json.dumps({"format": CACHE_FORMAT, "files": files}, indent=1) + "\n")
    with manifest.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
