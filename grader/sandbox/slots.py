"""CPU slots: how many sandboxes one worker machine runs at once, each on cores of its own.

Timing checks compare a submission against a budget, so two sandboxes must never share a core.
With ``ARENA_SANDBOX_SLOTS=N`` (and ``ARENA_SANDBOX_CORES_PER_SLOT=C``, default: the usable
cores divided by N) the worker's usable cores are cut into N disjoint sets of C; slot ``i``
owns cores ``[i*C, (i+1)*C)`` of that list. A sandbox takes a free slot before it starts and
gives it back when it is torn down; when every slot is taken it waits (at most
``ARENA_SANDBOX_SLOT_WAIT_S``, default an hour, then a transient error: the grading is retried).

The allocator is a file per slot under ``ARENA_SANDBOX_SLOT_DIR`` (default
``$ARENA_HOME/run/sandbox-slots``) held with an exclusive ``flock``: every Celery process of the
machine shares it, and a worker killed with SIGKILL frees its slot with its last descriptor.
The descriptors are close-on-exec, so no sandboxed process ever holds one.

Without ``ARENA_SANDBOX_SLOTS`` nothing is pinned and no slot is taken (one sandbox per worker,
seeing every core, as before). ``python -m grader.sandbox.slots concurrency`` prints the Celery
concurrency a worker of this machine should use (the slot count, or 1).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

__all__ = [
    "Slot",
    "SlotConfig",
    "SlotsBusy",
    "acquire_slot",
    "slot_config",
    "worker_concurrency",
]

DEFAULT_WAIT_S = 3600.0
_POLL_S = 0.05


class SlotsBusy(GraderError):
    """Every slot is taken and the caller would not wait (a spare sandbox)."""


@dataclass(frozen=True)
class Slot:
    index: int
    cpus: tuple[int, ...]

    @property
    def cpu_list(self) -> str:
        """The cores as the kernel and Docker write them: ``"0,1"``."""
        return ",".join(str(c) for c in self.cpus)


@dataclass(frozen=True)
class SlotConfig:
    slots: int
    cores_per_slot: int
    cores: tuple[int, ...]  # the worker's usable cores, ascending
    lock_dir: Path
    wait_s: float = DEFAULT_WAIT_S

    def slot(self, index: int) -> Slot:
        size = self.cores_per_slot
        return Slot(index, self.cores[index * size : (index + 1) * size])


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise GraderError(f"{name} must be a whole number, got {raw!r}", permanent=True) from None
    if value <= 0:
        raise GraderError(f"{name} must be at least 1, got {value}", permanent=True)
    return value


def _default_lock_dir() -> Path:
    from reference_models.paths import arena_home

    return arena_home() / "run" / "sandbox-slots"


def slot_config(env: dict[str, str] | None = None) -> SlotConfig | None:
    """The machine's slots from the environment; None when ``ARENA_SANDBOX_SLOTS`` is unset."""
    env = dict(os.environ) if env is None else env
    raw_slots = (env.get("ARENA_SANDBOX_SLOTS") or "").strip()
    if not raw_slots:
        return None
    slots = _positive_int("ARENA_SANDBOX_SLOTS", raw_slots)
    cores = tuple(sorted(os.sched_getaffinity(0)))
    raw_size = (env.get("ARENA_SANDBOX_CORES_PER_SLOT") or "").strip()
    size = _positive_int("ARENA_SANDBOX_CORES_PER_SLOT", raw_size) if raw_size else 0
    size = size or max(1, len(cores) // slots)
    if slots * size > len(cores):
        raise GraderError(
            f"ARENA_SANDBOX_SLOTS={slots} with {size} core(s) each needs {slots * size} cores, "
            f"but this worker may use {len(cores)} ({','.join(map(str, cores))})",
            permanent=True,
        )
    raw_wait = (env.get("ARENA_SANDBOX_SLOT_WAIT_S") or "").strip()
    try:
        wait_s = float(raw_wait) if raw_wait else DEFAULT_WAIT_S
    except ValueError:
        raise GraderError(
            f"ARENA_SANDBOX_SLOT_WAIT_S must be a number of seconds, got {raw_wait!r}",
            permanent=True,
        ) from None
    raw_dir = (env.get("ARENA_SANDBOX_SLOT_DIR") or "").strip()
    lock_dir = Path(raw_dir) if raw_dir else _default_lock_dir()
    return SlotConfig(slots, size, cores, lock_dir, wait_s)


def worker_concurrency(env: dict[str, str] | None = None) -> int:
    """How many gradings one Celery worker of this machine runs at once."""
    config = slot_config(env)
    return config.slots if config is not None else 1


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd


@contextlib.contextmanager
def acquire_slot(config: SlotConfig | None, *, wait: bool = True) -> Iterator[Slot | None]:
    """Hold a free slot for the block (None without slots); waits while all are taken, or with
    ``wait=False`` raises ``SlotsBusy`` at once."""
    if config is None:
        yield None
        return
    try:
        config.lock_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"cannot make the sandbox slot folder {config.lock_dir}: {exc}") from exc
    # Start the scan at a different slot per process, so waiters do not all fight for slot 0.
    first = os.getpid() % config.slots
    deadline = time.monotonic() + config.wait_s
    while True:
        for step in range(config.slots):
            index = (first + step) % config.slots
            fd = _try_lock(config.lock_dir / f"slot-{index}.lock")
            if fd is None:
                continue
            try:
                yield config.slot(index)
            finally:
                os.close(fd)  # closing the last descriptor drops the lock
            return
        if not wait:
            raise SlotsBusy(f"all {config.slots} sandbox slots are busy")
        if time.monotonic() > deadline:
            raise GraderError(
                f"no sandbox slot came free in {config.wait_s:g} s "
                f"(all {config.slots} busy under {config.lock_dir})"
            )
        time.sleep(_POLL_S)


def main(argv: list[str]) -> int:
    if argv != ["concurrency"]:
        print("usage: python -m grader.sandbox.slots concurrency", file=sys.stderr)
        return 2
    try:
        print(worker_concurrency())
    except GraderError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
