"""One control group per sandbox run: memory (no swap), process count, CPU accounting, and
(when the run holds a CPU slot, `slots.py`) a cpuset the run's processes cannot leave.

Bubblewrap sets no resource limits of its own, so its backend puts every run in a fresh cgroup
(v1 or v2, whichever the host has), joined by the child before it execs bubblewrap. The cgroup
also gives the trusted side the list of every process of the run (to kill the whole tree), the
CPU time used (all threads and children) and whether the kernel's OOM killer fired.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from grader import settings
from grader.errors import GraderError, SandboxUnavailable
from grader.sandbox.base import Limits

__all__ = ["RunCgroup", "cgroup_problem", "create_run_cgroup"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpuacct")


class RunCgroup(ABC):
    """The cgroup(s) of one run; `procs_files` are written with "0" by the child to join."""

    @property
    @abstractmethod
    def procs_files(self) -> list[Path]: ...

    @abstractmethod
    def pids(self) -> set[int]: ...

    @abstractmethod
    def cpu_seconds(self) -> float: ...

    @abstractmethod
    def oom_killed(self) -> bool: ...

    @abstractmethod
    def _remove_dirs(self) -> None: ...

    def kill_all(self, deadline_s: float = 5.0) -> None:
        """SIGKILL every process in the group until it is empty (forks race the loop)."""
        end = time.monotonic() + deadline_s
        while (pids := self.pids()) and time.monotonic() < end:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    def _remove_dirs_quietly(self) -> None:
        try:
            self._remove_dirs()
        except OSError:
            pass

    def destroy(self) -> None:
        self.kill_all()
        end = time.monotonic() + 5.0
        while True:
            try:
                self._remove_dirs()
                return
            except OSError as exc:
                # EBUSY while the last zombies are being reaped.
                if exc.errno != errno.EBUSY or time.monotonic() > end:
                    raise GraderError(f"cannot remove sandbox cgroup: {exc}") from exc
                time.sleep(0.02)


def _read_int_field(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _read_pids(path: Path) -> set[int]:
    try:
        return {int(x) for x in path.read_text().split()}
    except FileNotFoundError:
        return set()


class _V1Cgroup(RunCgroup):
    def __init__(self, dirs: dict[str, Path]) -> None:
        self.dirs = dirs

    @property
    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in self.dirs.values()]

    def pids(self) -> set[int]:
        return _read_pids(self.dirs["pids"] / "cgroup.procs")

    def cpu_seconds(self) -> float:
        return int((self.dirs["cpuacct"] / "cpuacct.usage").read_text()) / 1e9

    def oom_killed(self) -> bool:
        return _read_int_field(self.dirs["memory"] / "memory.oom_control", "oom_kill") > 0

    def _remove_dirs(self) -> None:
        for path in self.dirs.values():
            if path.exists():
                path.rmdir()


class _V2Cgroup(RunCgroup):
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def procs_files(self) -> list[Path]:
        return [self.path / "cgroup.procs"]

    def pids(self) -> set[int]:
        return _read_pids(self.path / "cgroup.procs")

    def cpu_seconds(self) -> float:
        return _read_int_field(self.path / "cpu.stat", "usage_usec") / 1e6

    def oom_killed(self) -> bool:
        return _read_int_field(self.path / "memory.events", "oom_kill") > 0

    def kill_all(self, deadline_s: float = 5.0) -> None:
        kill_file = self.path / "cgroup.kill"
        if kill_file.exists() and self.pids():
            kill_file.write_text("1")
        super().kill_all(deadline_s)

    def _remove_dirs(self) -> None:
        if self.path.exists():
            self.path.rmdir()


def _is_v1() -> bool:
    return (CGROUP_ROOT / "memory" / "memory.limit_in_bytes").exists()


def _own_v1_path(controller: str) -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path.lstrip("/")
    raise SandboxUnavailable(f"this process is in no {controller} cgroup")


def _v1_dir(controller: str) -> Path:
    # Runs nest under the worker's own cgroup so the worker's own limits still hold.
    base = CGROUP_ROOT / controller
    if not base.exists():
        base = next(CGROUP_ROOT.glob(f"*{controller}*"), base)  # e.g. cpu,cpuacct
    return base / _own_v1_path(controller)


def _v1_has(controller: str) -> bool:
    try:
        return _v1_dir(controller).is_dir()
    except SandboxUnavailable:
        return False


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _create_v1(name: str, limits: Limits, cpus: Sequence[int] = ()) -> _V1Cgroup:
    controllers = [*V1_CONTROLLERS, *(["cpuset"] if cpus else [])]
    dirs = {c: _v1_dir(c) / name for c in controllers}
    cgroup = _V1Cgroup(dirs)
    try:
        for path in dirs.values():
            path.mkdir()
        _limit_v1(dirs, limits)
        if cpus:
            cpuset = dirs["cpuset"]
            # A v1 cpuset starts empty and takes no process until both are set.
            _write(cpuset / "cpuset.mems", (cpuset.parent / "cpuset.mems").read_text().strip())
            _write(cpuset / "cpuset.cpus", _cpu_list(cpus))
    except OSError:
        cgroup._remove_dirs_quietly()
        raise
    return cgroup


def _limit_v1(dirs: dict[str, Path], limits: Limits) -> None:
    memory = dirs["memory"]
    limit = str(limits.memory_mb * 1024 * 1024)
    _write(memory / "memory.limit_in_bytes", limit)
    if (memory / "memory.memsw.limit_in_bytes").exists():
        _write(memory / "memory.memsw.limit_in_bytes", limit)  # memory + swap = memory: no swap
    try:
        _write(memory / "memory.swappiness", "0")
    except OSError:
        pass  # refused under a hierarchy whose parent fixes it; memsw already forbids swap
    _write(dirs["pids"] / "pids.max", str(limits.pids))


def _cpu_list(cpus: Sequence[int]) -> str:
    return ",".join(str(c) for c in cpus)


def _create_v2(name: str, limits: Limits, cpus: Sequence[int] = ()) -> _V2Cgroup:
    parent = CGROUP_ROOT / settings.cgroup_parent()
    parent.mkdir(exist_ok=True)
    for holder in (parent.parent, parent):
        _write(holder / "cgroup.subtree_control", "+memory +pids +cpu")
        if cpus:
            with contextlib.suppress(OSError):  # not delegated: the affinity alone pins the run
                _write(holder / "cgroup.subtree_control", "+cpuset")
    path = parent / name
    path.mkdir()
    cgroup = _V2Cgroup(path)
    try:
        _write(path / "memory.max", str(limits.memory_mb * 1024 * 1024))
        if (path / "memory.swap.max").exists():
            _write(path / "memory.swap.max", "0")
        _write(path / "pids.max", str(limits.pids))
        if cpus and (path / "cpuset.cpus").exists():
            _write(path / "cpuset.cpus", _cpu_list(cpus))
    except OSError:
        cgroup._remove_dirs_quietly()
        raise
    return cgroup


_STALE_AFTER_S = 600


def _sweep_stale(parents: list[Path]) -> None:
    """Remove run cgroups a killed worker left behind: empty and older than any setup window.

    A live run's cgroup is never empty: its first process joins before exec.
    """
    now = time.time()
    for parent in parents:
        for path in parent.glob("arena-*"):
            try:
                old = now - path.stat().st_mtime > _STALE_AFTER_S
                if old and not _read_pids(path / "cgroup.procs"):
                    path.rmdir()
            except OSError:
                continue  # raced with another worker's sweep, or busy: leave it


def create_run_cgroup(limits: Limits, cpus: Sequence[int] = ()) -> RunCgroup:
    """A fresh cgroup for one run, with the memory and process limits set; with `cpus`, its
    processes are confined to those cores (a cpuset, where the host has the controller)."""
    name = f"arena-{uuid.uuid4().hex[:12]}"
    try:
        if _is_v1():
            with_cpuset = bool(cpus) and _v1_has("cpuset")
            controllers = [*V1_CONTROLLERS, *(["cpuset"] if with_cpuset else [])]
            _sweep_stale([_v1_dir(c) for c in controllers])
            return _create_v1(name, limits, cpus if with_cpuset else ())
        _sweep_stale([CGROUP_ROOT / settings.cgroup_parent()])
        return _create_v2(name, limits, cpus)
    except OSError as exc:
        raise SandboxUnavailable(
            f"cannot create a cgroup for the sandbox ({exc}); the bwrap backend needs a "
            "writable cgroup tree (run the worker as root or delegate a cgroup v2 subtree)",
            permanent=False,
        ) from exc


def cgroup_problem() -> str | None:
    """None if run cgroups can be made here, else why not (creates and removes a probe)."""
    try:
        create_run_cgroup(Limits()).destroy()
    except GraderError as exc:
        return exc.message
    return None
