"""Pretrained backbones a bundle declares, verified on the trusted side and mounted read-only.

For each stage of a bundle with ``pretrained = [...]``, ``stage_pretrained`` fills a fresh
per-run folder with a copy of each declared ``var/weights/<name>.safetensors`` and its
``<name>.json``. The copy is hashed while it is written and compared with the SHA-256 the JSON
records (and with the bundle's pin, if any), so the bytes the sandbox sees are exactly the
bytes that were checked: a file changed on the worker after the check cannot reach a run. The
folder is mounted at ``/arena/pretrained`` (files 0444, folder 0555, bound read-only); only the
declared files are in it.

A missing or tampered file is the platform's problem, never the mentee's: ``PretrainedError``
becomes an ``error`` report of kind ``pretrained`` telling the mentor how to fix it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from arena_datasets.paths import arena_home
from grader.bundle import Pretrained
from grader.errors import GraderError

MOUNT_TARGET = "/arena/pretrained"
ENV_VAR = "ARENA_PRETRAINED"
FIX = "run `make setup` (or `python -m reference_models fetch-weights`) on the grading worker"
METADATA_FORMAT = "arena-checkpoint-v1"
MAX_METADATA_BYTES = 1 << 20
CHUNK = 1 << 20


class PretrainedError(GraderError):
    """A declared backbone is missing or does not match its recorded SHA-256."""


def source_paths(name: str, root: Path | None = None) -> tuple[Path, Path]:
    """(weights, metadata) of backbone ``name`` on the worker."""
    # ``ARENA_HOME/weights``, as ``reference_models.paths.weights_dir`` says; found through
    # arena_datasets, because importing reference_models would load torch into every grading.
    base = root or arena_home() / "weights"
    return base / f"{name}.safetensors", base / f"{name}.json"


def recorded_sha256(name: str, pin: str = "", root: Path | None = None) -> tuple[str, bytes]:
    """The SHA-256 the metadata file records for ``name``, and the metadata's bytes."""
    _weights, meta = source_paths(name, root)
    try:
        raw = _read_regular(meta, MAX_METADATA_BYTES)
    except FileNotFoundError:
        raise PretrainedError(
            f"the pretrained backbone {name!r} is not on this worker "
            f"(no {meta.name} under {meta.parent}): {FIX}"
        ) from None
    except OSError as exc:
        raise PretrainedError(f"cannot read {meta}: {exc}; {FIX}") from None
    try:
        values = json.loads(raw)
    except ValueError:
        raise PretrainedError(f"{meta} is not valid JSON: {FIX}") from None
    digest = values.get("file_sha256") if isinstance(values, dict) else None
    if values.get("format") != METADATA_FORMAT or not (
        isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)
    ):
        raise PretrainedError(f"{meta} is not {METADATA_FORMAT} metadata with a file_sha256: {FIX}")
    if pin and digest != pin:
        raise PretrainedError(
            f"the pretrained backbone {name!r} on this worker has SHA-256 {digest[:12]}..., "
            f"the assignment pins {pin[:12]}...: {FIX} with the weights the bundle expects"
        )
    return digest, raw


def stage_pretrained(declared: Sequence[Pretrained], root: Path | None = None) -> Path:
    """A fresh read-only folder holding the verified copies of ``declared``; the caller removes
    it with ``remove_staged``. Raises ``PretrainedError`` (nothing is left behind then)."""
    folder = Path(tempfile.mkdtemp(prefix="arena-pretrained-"))
    try:
        for entry in declared:
            _copy_verified(entry, folder, root)
        folder.chmod(0o555)  # the sandbox user walks in; nobody writes
    except BaseException:
        remove_staged(folder)
        raise
    return folder


def remove_staged(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.chmod(0o700)  # a 0555 folder's entries cannot be unlinked by a non-root owner
    shutil.rmtree(folder, ignore_errors=True)


def _copy_verified(entry: Pretrained, folder: Path, root: Path | None) -> None:
    expected, meta_bytes = recorded_sha256(entry.name, entry.sha256, root)
    source, _ = source_paths(entry.name, root)
    target = folder / entry.filename
    digest = hashlib.sha256()
    size = 0
    try:
        fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise PretrainedError(
            f"the pretrained backbone {entry.name!r} is not on this worker "
            f"(no {source.name} under {source.parent}): {FIX}"
        ) from None
    except OSError as exc:
        raise PretrainedError(f"cannot read {source}: {exc}; {FIX}") from None
    with os.fdopen(fd, "rb") as reader, target.open("xb") as writer:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise PretrainedError(f"{source} is not a regular file: {FIX}")
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    if digest.hexdigest() != expected:
        raise PretrainedError(
            f"the pretrained backbone {source} has SHA-256 {digest.hexdigest()[:12]}..., its "
            f"metadata records {expected[:12]}...: the file was changed or corrupted; {FIX}"
        )
    target.chmod(0o444)
    meta_target = folder / f"{entry.name}.json"
    meta_target.write_bytes(meta_bytes)
    meta_target.chmod(0o444)


def _read_regular(path: Path, cap: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise OSError(f"{path} is larger than {cap} bytes")
    return data


__all__ = [
    "ENV_VAR",
    "MOUNT_TARGET",
    "PretrainedError",
    "recorded_sha256",
    "remove_staged",
    "source_paths",
    "stage_pretrained",
]
