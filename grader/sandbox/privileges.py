"""What the child does between fork and exec of bubblewrap (Popen's `preexec_fn`).

In this order: join the run's cgroup (while still allowed to), pin to the run's CPU slot
(inherited by every process of the sandbox; the cgroup's cpuset, where there is one, makes it
binding), stage bind sources in a private
mount namespace, set the rlimits, drop to the sandbox user (threat 7b: a user namespace made by
root would map the sandbox to host uid 0), forbid new privileges, and die with the worker.

Staging: bubblewrap, running unprivileged, must be able to walk to every bind source, but the
Python runtime may live under a directory the sandbox user cannot enter (pyenv under /root) and
the trusted side's temporary directories are private. Still as root, the child bind-mounts each
source onto an empty world-readable directory in a mount namespace of its own; bubblewrap binds
those. Nothing changes on the host and the namespace dies with the run.
"""

from __future__ import annotations

import ctypes
import os
import resource
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.base import Limits
from grader.sandbox.environment import SandboxUser

__all__ = ["ChildSetup", "make_preexec", "rlimits_for"]

_CLONE_NEWNS = 0x00020000
_MS_REC = 16384
_MS_BIND = 4096
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_SIGKILL = 9

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class ChildSetup:
    cgroup_procs: Sequence[Path] = ()
    staged_binds: Sequence[tuple[str, str]] = ()  # (host source, staging path)
    rlimits: Sequence[tuple[int, int, int]] = ()  # (resource, soft, hard)
    user: SandboxUser | None = None  # switch to this user (only when we are root)
    cpus: Sequence[int] = ()  # the run's CPU slot; empty: every core the worker has


def rlimits_for(limits: Limits) -> list[tuple[int, int, int]]:
    mib = 1024 * 1024
    cpu = limits.cpu_seconds
    return [
        # SIGXCPU at the limit, SIGKILL one second later for a process that ignores it.
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * mib, limits.file_size_mb * mib),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_CORE, 0, 0),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _stage_binds(binds: Sequence[tuple[bytes, bytes]]) -> None:
    _check(_libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    # Private propagation: our staging mounts never leak back into the host namespace.
    _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    for source, target in binds:
        _check(_libc.mount(source, target, None, _MS_BIND | _MS_REC, None), "stage bind")


def make_preexec(setup: ChildSetup) -> Callable[[], None]:
    """The preexec function; everything it needs is prepared here, before fork."""
    procs = [os.fsencode(p) for p in setup.cgroup_procs]
    binds = [(os.fsencode(s), os.fsencode(t)) for s, t in setup.staged_binds]
    rlimits = list(setup.rlimits)
    user = setup.user
    cpus = set(setup.cpus)

    def preexec() -> None:
        for path in procs:
            fd = os.open(path, os.O_WRONLY)
            os.write(fd, b"0")  # "0": the writing process itself joins
            os.close(fd)
        if cpus:
            os.sched_setaffinity(0, cpus)
        if binds:
            _stage_binds(binds)
        for which, soft, hard in rlimits:
            resource.setrlimit(which, (soft, hard))
        if user is not None:
            os.setgroups([])
            os.setresgid(user.gid, user.gid, user.gid)
            os.setresuid(user.uid, user.uid, user.uid)
        _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        # After the uid change (which clears it): bubblewrap dies if the worker's thread does.
        _check(_libc.prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0), "pdeathsig")

    return preexec
