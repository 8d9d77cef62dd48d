"""Content-addressed storage for uploads: a file is named by its sha256 and written once.

A file under its address is always complete: it is written to a temporary file in the same
folder, fsynced, checked against the address and renamed into place. A file already there is
reused only when its bytes still hash to its name, so a truncated or corrupted one (a full
disk, a crash mid-write) is replaced instead of poisoning every later upload of the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

_CHUNK = 1024 * 1024


class StoredUploadCorrupt(Exception):
    """The stored bytes no longer hash to the submission's sha256."""


@deconstructible
class UploadStorage(FileSystemStorage):
    """Two identical uploads share one file; a file is replaced only when it is damaged."""

    def __init__(self) -> None:
        # No fixed location: it follows MEDIA_ROOT (= ARENA_UPLOADS_DIR), also when tests change it.
        super().__init__(base_url=None)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name

    def _open(self, name: str, mode: str = "rb"):  # type: ignore[no-untyped-def]
        """Every read checks the bytes against the address: damage is named, never served."""
        path = Path(self.path(name))
        if path.is_file() and file_sha256(path) != address_of(path):
            raise StoredUploadCorrupt(
                f"the stored upload {path.name} no longer matches its sha256; upload it again"
            )
        return super()._open(name, mode)

    def _save(self, name: str, content) -> str:  # type: ignore[no-untyped-def]
        target = Path(self.path(name))
        expected = address_of(target)
        if target.is_file() and file_sha256(target) == expected:
            return name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, content, expected)
        return name


def write_atomically(target: Path, content: IO[bytes], expected_sha256: str) -> None:
    """temp file + fsync + rename: readers see the old file or the whole new one. Two racing
    writers of the same bytes both succeed (the second rename replaces identical bytes)."""
    fd, draft = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as handle:
            content.seek(0)
            while chunk := content.read(_CHUNK):
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if digest.hexdigest() != expected_sha256:
            raise StoredUploadCorrupt(
                f"the upload changed while it was stored (expected sha256 {expected_sha256})"
            )
        os.chmod(draft, 0o644)
        os.replace(draft, target)
        _fsync_folder(target.parent)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def address_of(path: Path) -> str:
    """``ab/<sha256><ext>`` -> the sha256 its bytes must have."""
    return path.name.split(".", 1)[0]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stored_upload(name: str, sha256: str) -> Path:
    """The stored file ``name`` (a FileField's name), verified to hold the bytes ``sha256``
    names: how the internal API and a worker on the web's machine read an upload by hash.
    Raises FileNotFoundError, or StoredUploadCorrupt when the bytes changed."""
    path = Path(upload_storage().path(name))
    if address_of(path) != sha256 or not path.is_file():
        raise FileNotFoundError(f"no stored upload {sha256} ({name})")
    if file_sha256(path) != sha256:
        raise StoredUploadCorrupt(
            f"the stored upload {path.name} no longer matches its sha256; upload it again"
        )
    return path


def upload_storage() -> UploadStorage:
    return UploadStorage()


def upload_name(instance: object, filename: str) -> str:
    """``ab/abcdef...<ext>``: the sha256 was computed before saving (see services)."""
    sha256 = instance.sha256  # type: ignore[attr-defined]
    suffix = instance.extension  # type: ignore[attr-defined]
    return f"{sha256[:2]}/{sha256}{suffix}"
