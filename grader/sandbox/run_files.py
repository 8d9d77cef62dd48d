"""The bubblewrap backend's private temporary directory per run, and the sweep of leftovers.

Each run gets `<tmp>/arena-bwrap-XXXXXXXX` holding the generated /etc files and the staging
mount points. The run removes it at teardown; a worker killed with SIGKILL cannot, so every
new run first sweeps what dead runs left behind (threat 19).

A run holds an exclusive `flock` on its directory for as long as it lives. The kernel drops
the lock when the holder dies, so a directory whose lock can be taken belongs to no live run,
whatever its age or the run's wall-clock limit. Deleting a live run's files would detach the
bind mounts of its /etc files, hence the lock rather than age alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

from grader.sandbox.environment import SandboxUser, group_text, passwd_text

__all__ = ["RUN_DIR_PREFIX", "STALE_AFTER_S", "RunFiles", "sweep_stale_run_dirs"]

RUN_DIR_PREFIX = "arena-bwrap-"
# Same rule as the cgroup sweep: nothing is touched while a run could still be setting up.
STALE_AFTER_S = 600
# mkdtemp's names: the prefix, then 8 characters from its alphabet.
_RUN_DIR_NAME = re.compile(re.escape(RUN_DIR_PREFIX) + r"[a-z0-9_]{8}")


class RunFiles:
    """The run's private temporary directory: /etc files and staging mount points."""

    def __init__(self, user: SandboxUser | None, parent: Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir=parent))
        self._lock_fd = _lock(self.root)
        self.etc = self.root / "etc"
        self._count = 0
        try:
            self._write_etc(user)
        except OSError:
            self.remove()
            raise

    def _write_etc(self, user: SandboxUser | None) -> None:
        self.root.chmod(0o755)  # bubblewrap runs as the sandbox user and must walk in
        self.etc.mkdir(mode=0o755)
        uid, gid = (user.uid, user.gid) if user else (os.getuid(), os.getgid())
        (self.etc / "passwd").write_text(passwd_text(user, uid, gid))
        (self.etc / "group").write_text(group_text(user, gid))
        for name in ("passwd", "group"):
            (self.etc / name).chmod(0o644)

    def staging_point(self, source: str) -> str:
        self._count += 1
        point = self.root / f"stage{self._count}"
        if os.path.isdir(source):
            point.mkdir(mode=0o755)
        else:
            point.touch(mode=0o644)
        return str(point)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        os.close(self._lock_fd)


def _lock(directory: Path) -> int:
    """An exclusive lock on `directory`, held by the returned descriptor (close-on-exec)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _unused(directory: Path) -> bool:
    """True if no live run holds `directory` (its lock can be taken)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also releases the lock if it was taken


def _sweep_one(path: Path, now: float) -> bool:
    info = path.lstat()  # never follow a link planted in a shared /tmp
    if not stat.S_ISDIR(info.st_mode) or now - info.st_mtime <= STALE_AFTER_S:
        return False
    if info.st_uid != os.geteuid():
        path.rmdir()  # another user's: only ever an empty one (rmdir refuses the others)
        return True
    if not _unused(path):
        return False
    # rmtree works through directory descriptors: a link swapped in meanwhile is not followed.
    shutil.rmtree(path)
    return True


def sweep_stale_run_dirs(tmp: Path | None = None) -> list[Path]:
    """Remove run directories left by dead runs (old and unlocked); returns those removed."""
    tmp = Path(tmp or tempfile.gettempdir())
    now = time.time()
    removed: list[Path] = []
    for path in tmp.glob(RUN_DIR_PREFIX + "*"):
        if not _RUN_DIR_NAME.fullmatch(path.name):
            continue
        with contextlib.suppress(OSError):  # raced with another sweep, or not ours to remove
            if _sweep_one(path, now):
                removed.append(path)
    return removed
