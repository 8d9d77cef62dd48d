"""A worker's cache of blobs named by SHA-256: verified on arrival, written atomically.

A blob is fetched into a temporary file beside its place, hashed while it is written, fsynced
and renamed into place only when its bytes hash to its name. Damaged bytes are fetched again
once; damaged twice is an error that names the blob. A cached blob is re-hashed on every use,
so a file damaged on the worker's disk is fetched again instead of being graded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from submissions.storage import file_sha256

log = logging.getLogger(__name__)

FETCH_ATTEMPTS = 2


class FetchError(Exception):
    """A grading input could not be fetched (not the mentee's fault: the run is retried)."""


class _HashingWriter:
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        return self.handle.write(chunk)


Download = Callable[[_HashingWriter], None]


class BlobCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def ensure(self, sha256: str, download: Download, what: str) -> Path:
        """The verified blob ``sha256``, fetched with ``download`` unless cached intact."""
        target = self.path(sha256)
        if target.is_file() and file_sha256(target) == sha256:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        got = ""
        for attempt in range(1, FETCH_ATTEMPTS + 1):
            got = self._fetch_once(target, sha256, download)
            if got == sha256:
                return target
            log.warning("%s arrived with sha256 %s, expected %s (try %s)", what, got, sha256,
                        attempt)
        raise FetchError(
            f"{what} arrived damaged {FETCH_ATTEMPTS} times (sha256 {got[:12]}..., expected "
            f"{sha256[:12]}...): the web service's copy or the network is corrupting it"
        )

    def _fetch_once(self, target: Path, sha256: str, download: Download) -> str:
        fd, draft = tempfile.mkstemp(prefix=f".{sha256[:16]}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                writer = _HashingWriter(handle)
                download(writer)
                handle.flush()
                os.fsync(handle.fileno())
            digest = writer.digest.hexdigest()
            if digest == sha256:
                os.chmod(draft, 0o644)
                os.replace(draft, target)  # a racing fetch of the same bytes is harmless
            return digest
        finally:
            Path(draft).unlink(missing_ok=True)
