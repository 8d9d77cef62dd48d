"""Bounded readers for a sandbox's stdout and stderr (threat 26: output floods)."""

from __future__ import annotations

import threading
from typing import IO

__all__ = ["CappedBuffer", "PipeDrainer"]

_CHUNK = 65536


class CappedBuffer:
    """Keeps the first `cap` bytes written to it and counts what was dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._parts: list[bytes] = []
        self._kept = 0
        self.dropped = 0
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            room = self.cap - self._kept
            if room > 0:
                kept = data[:room]
                self._parts.append(kept)
                self._kept += len(kept)
            self.dropped += max(0, len(data) - max(room, 0))

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    def getvalue(self) -> bytes:
        with self._lock:
            return b"".join(self._parts)


class PipeDrainer:
    """Reads a pipe to its end on a thread; keeps a capped prefix and discards the rest.

    The pipe is always drained so a flooding process never blocks on a full pipe and can
    still be killed by its limits.
    """

    def __init__(self, pipe: IO[bytes], cap: int) -> None:
        self.buffer = CappedBuffer(cap)
        self._pipe = pipe
        self._thread = threading.Thread(target=self._run, daemon=True, name="sandbox-drain")
        self._thread.start()

    def _run(self) -> None:
        try:
            while chunk := self._pipe.read1(_CHUNK):  # type: ignore[attr-defined]
                self.buffer.write(chunk)
        except (OSError, ValueError):
            pass  # the pipe was closed under us during teardown
        finally:
            try:
                self._pipe.close()
            except OSError:
                pass

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
