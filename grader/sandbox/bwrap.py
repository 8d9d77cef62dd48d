"""The bubblewrap backend: namespaces from bubblewrap, limits from a cgroup and rlimits.

The sandbox's root is an empty read-only tmpfs holding only: the system directories and the
Python runtime (read-only, at their host paths, reduced by `runtime.py` to the interpreter,
its stdlib and the allowed packages: no dataset, no foreign site-packages), generated /etc/passwd and /etc/group, a few
harmless /etc files, a fresh /proc and /dev, size-capped tmpfs on /scratch and /dev/shm, and
the caller's mounts. No network, no new user namespaces, an empty environment plus an
allow-list, all capabilities dropped, a seccomp deny-list (`seccomp.py`), running as the
unprivileged `arena-sandbox` user.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from grader.errors import GraderError, SandboxUnavailable
from grader.sandbox.base import PYTHON_PLACEHOLDER, Mount, Sandbox, SandboxProcess, SandboxSpec
from grader.sandbox.cgroups import RunCgroup, cgroup_problem, create_run_cgroup
from grader.sandbox.environment import (
    ETC_FILES,
    SYSTEM_DIRS,
    minimal_env,
    python_executable,
    runtime_paths,
    sandbox_user,
    validate_target,
    writable_entries,
)
from grader.sandbox.local_process import LocalProcess, feed_stdin
from grader.sandbox.privileges import ChildSetup, make_preexec, rlimits_for
from grader.sandbox.run_files import RunFiles, sweep_stale_run_dirs
from grader.sandbox.runtime import RuntimeLayout, runtime_layout
from grader.sandbox.seccomp import compile_filter
from grader.sandbox.slots import Slot, acquire_slot, slot_config

__all__ = ["BwrapSandbox", "build_bwrap_argv", "gpu_device_nodes"]

# The size cap of the empty read-only directories (masks, the IPC directory): bubblewrap's own
# mount points are all that is ever created in them.
MASK_TMPFS_BYTES = 64 * 1024
_NVIDIA_SHARED_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")


def gpu_device_nodes(gpus: str, dev: Path = Path("/dev")) -> list[str]:
    """The /dev nodes a sandbox with `gpus` ("none", "all", "0,1") needs."""
    if gpus == "none":
        return []
    present = sorted(
        (p for p in dev.glob("nvidia*") if re.fullmatch(r"nvidia\d+", p.name)),
        key=lambda p: int(p.name[6:]),
    )
    if gpus == "all":
        chosen = present
    else:
        wanted = [f"nvidia{int(i)}" for i in gpus.split(",")]
        missing = [w for w in wanted if not (dev / w).exists()]
        if missing:
            raise GraderError(f"GPU device(s) not present: {', '.join(missing)}", permanent=True)
        chosen = [dev / w for w in wanted]
    if not chosen:
        raise GraderError("GPUs were requested but no NVIDIA device is present", permanent=True)
    shared = [dev / n for n in _NVIDIA_SHARED_NODES if (dev / n).exists()]
    return [str(p) for p in chosen + shared]


def _system_dir_args() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def build_bwrap_argv(
    spec: SandboxSpec,
    *,
    bwrap: str,
    python: str,
    runtime: Sequence[str],
    etc_dir: Path,
    sources: dict[str, str],
    gpu_nodes: Sequence[str],
    seccomp_fd: int | None = None,
) -> list[str]:
    """The full bubblewrap command line; `sources` maps a host path to the path to bind from.

    `seccomp_fd`: an inherited descriptor bubblewrap reads the compiled filter from.
    """
    limits = spec.limits
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
    argv += ["--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL"]
    argv += ["--hostname", "arena-sandbox"]
    scratch_size = str(limits.scratch_mb * 1024 * 1024)
    # A checkout under /tmp (CI clones often live there) puts the runtime under /tmp, where the
    # usual /tmp -> /scratch link cannot be made: /tmp is then a capped tmpfs of its own, made
    # before the runtime is bound into it.
    runtime_in_tmp = any(p == "/tmp" or p.startswith("/tmp/") for p in runtime)
    if runtime_in_tmp:
        argv += ["--perms", "1777", "--size", scratch_size, "--tmpfs", "/tmp"]
    argv += _system_dir_args()
    for path in runtime:
        argv += ["--ro-bind", sources.get(path, path), path]
    layout = runtime_layout(tuple(spec.packages), tuple(runtime))
    argv += _layout_args(layout, sources)
    argv += ["--ro-bind", str(etc_dir / "passwd"), "/etc/passwd"]
    argv += ["--ro-bind", str(etc_dir / "group"), "/etc/group"]
    for path in ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--size", str(limits.shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm"]
    argv += ["--perms", "1777", "--size", scratch_size, "--tmpfs", "/scratch"]
    if not runtime_in_tmp:
        argv += ["--symlink", "/scratch", "/tmp"]
    for node in gpu_nodes:
        argv += ["--dev-bind", node, node]
    sealed: list[str] = list(layout.masks)
    for mount in spec.mounts:
        validate_target(mount.target)
        source = sources.get(str(mount.source), str(mount.source))
        if mount.writable:
            argv += _writable_mount_args(mount, source)
            sealed.append(mount.target)
        else:
            argv += ["--ro-bind", source, mount.target]
    for path in sealed:  # after the binds inside them: their mount points had to be made first
        argv += ["--remount-ro", path]
    argv += ["--remount-ro", "/", "--chdir", spec.workdir]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    for key, value in minimal_env(spec.env, python).items():
        argv += ["--setenv", key, value]
    command = list(spec.argv)
    if command and command[0] == PYTHON_PLACEHOLDER:
        command[0] = python
    return argv + ["--"] + command


def _staged_source(path: str, sources: dict[str, str]) -> str:
    """Where to bind `path` from: its own staging point, or one of a staged ancestor's."""
    if path in sources:
        return sources[path]
    for host, staged in sources.items():
        if path.startswith(host.rstrip("/") + "/"):
            return staged + path[len(host.rstrip("/")) :]
    return path


def _layout_args(layout: RuntimeLayout, sources: dict[str, str]) -> list[str]:
    """Empty directories over data and foreign packages, then the allowed packages' files."""
    args: list[str] = []
    for path in layout.masks:
        args += ["--perms", "0555", "--size", str(MASK_TMPFS_BYTES), "--tmpfs", path]
    for path in layout.binds:
        args += ["--ro-bind", _staged_source(path, sources), path]
    return args


def _writable_mount_args(mount: Mount, source: str) -> list[str]:
    """A writable mount is a tiny capped tmpfs with the source's entries bound in one by one
    (the IPC socket and shared-memory file): nothing new can be written to the host through it."""
    args = ["--perms", "0555", "--size", str(MASK_TMPFS_BYTES), "--tmpfs", mount.target]
    for name in writable_entries(mount.source):
        args += ["--bind", os.path.join(source, name), f"{mount.target}/{name}"]
    return args


def _reachable_by_others(path: str) -> bool:
    """True if an unprivileged user can walk to `path` (search permission on every ancestor)."""
    current = Path(path)
    for directory in [current, *current.parents]:
        try:
            mode = directory.stat().st_mode
        except OSError:
            return False
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return False
    return True


@contextlib.contextmanager
def _seccomp_descriptor() -> Iterator[int]:
    """A pipe's read end holding the compiled filter, for bubblewrap to inherit and read."""
    program = compile_filter()
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb") as writer:  # a few hundred bytes: within the pipe buffer
            writer.write(program)
        yield read_fd
    finally:
        os.close(read_fd)


def _spawn(
    argv: list[str], setup: ChildSetup, cwd: Path, pass_fds: Sequence[int]
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            pass_fds=tuple(pass_fds),
            start_new_session=True,
            # Small and prepared before fork: see privileges.py.
            preexec_fn=make_preexec(setup),  # noqa: PLW1509
            cwd=cwd,
            env={"PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GraderError(f"bubblewrap could not be started: {exc}") from exc


class BwrapSandbox(Sandbox):
    name: ClassVar[str] = "bwrap"
    supports_spares: ClassVar[bool] = True

    def __init__(self) -> None:
        problem = self.available()
        if problem:
            raise SandboxUnavailable(problem)
        self.python = python_executable()
        self._bwrap = shutil.which("bwrap") or "bwrap"
        self._root = os.geteuid() == 0
        self._user = sandbox_user() if self._root else None

    @classmethod
    def available(cls) -> str | None:
        return _availability_problem()

    def _sources(self, spec: SandboxSpec, files: RunFiles) -> dict[str, str]:
        """Bind sources the sandbox user cannot reach, mapped to staging points (root only)."""
        if not self._root:
            return {}
        paths = [*runtime_paths(), *(str(m.source) for m in spec.mounts)]
        return {p: files.staging_point(p) for p in paths if not _reachable_by_others(p)}

    def _spawn_run(
        self, spec: SandboxSpec, files: RunFiles, cgroup: RunCgroup, slot: Slot | None
    ) -> tuple[subprocess.Popen[bytes], float, float]:
        """Start bubblewrap for `spec`; returns the process, its start time and start duration."""
        sources = self._sources(spec, files)
        setup = ChildSetup(
            cgroup_procs=cgroup.procs_files,
            staged_binds=list(sources.items()),
            rlimits=rlimits_for(spec.limits),
            user=self._user,
            cpus=slot.cpus if slot is not None else (),
        )
        with _seccomp_descriptor() as seccomp_fd:  # closed here once bubblewrap holds a copy
            argv = build_bwrap_argv(
                spec,
                bwrap=self._bwrap,
                python=self.python,
                runtime=runtime_paths(),
                etc_dir=files.etc,
                sources=sources,
                gpu_nodes=gpu_device_nodes(spec.gpus),
                seccomp_fd=seccomp_fd,
            )
            started = time.monotonic()
            popen = _spawn(argv, setup, cwd=files.root, pass_fds=[seccomp_fd])
            return popen, started, time.monotonic() - started

    @contextlib.contextmanager
    def _open(self, spec: SandboxSpec, stdin: bytes | None) -> Iterator[SandboxProcess]:
        for mount in spec.mounts:
            if not mount.source.exists():
                raise GraderError(f"sandbox mount source {mount.source} does not exist")
        sweep_stale_run_dirs()
        # Taken before anything is made, given back after everything is gone: while a run's
        # processes may live, nobody else is given its cores.
        # A spare (stdin None) takes one only if one is free now: waiting would hold up the
        # stage that stocks it.
        slot_wait = stdin is not None
        with (
            acquire_slot(slot_config(), wait=slot_wait) as slot,
            self._run(spec, stdin, slot) as process,
        ):
            yield process

    @contextlib.contextmanager
    def _run(
        self, spec: SandboxSpec, stdin: bytes | None, slot: Slot | None
    ) -> Iterator[LocalProcess]:
        files = RunFiles(self._user)
        cgroup: RunCgroup | None = None
        process: LocalProcess | None = None
        try:
            cgroup = create_run_cgroup(spec.limits, slot.cpus if slot is not None else ())
            popen, started, start_s = self._spawn_run(spec, files, cgroup, slot)
            process = LocalProcess(
                popen,
                spec.limits,
                started_at=started,
                start_s=start_s,
                cgroup=cgroup,
                shell_style_exit=True,
                armed=stdin is not None,
            )
            if stdin is not None:  # None: a spare, started by go()
                feed_stdin(popen, stdin)
            yield process
        finally:
            if process is not None:
                process.close()
            if cgroup is not None:
                cgroup.destroy()
            files.remove()


@functools.lru_cache(maxsize=1)
def _availability_problem() -> str | None:
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if os.geteuid() == 0 and sandbox_user() is None:
        return (
            "the unprivileged user 'arena-sandbox' does not exist; "
            "run scripts/install_system_deps.sh as root"
        )
    problem = cgroup_problem()
    if problem:
        return problem
    return _probe_user_namespaces()


def _probe_user_namespaces() -> str | None:
    user = sandbox_user() if os.geteuid() == 0 else None
    argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user"]
    argv += ["--disable-userns", *_system_dir_args()]
    try:
        # The filter is loaded too: a bubblewrap or kernel without seccomp fails here, loudly.
        with _seccomp_descriptor() as seccomp_fd:
            result = subprocess.run(
                [*argv, "--seccomp", str(seccomp_fd), "--", "/bin/true"],
                check=False,
                capture_output=True,
                timeout=20,
                pass_fds=(seccomp_fd,),
                preexec_fn=make_preexec(ChildSetup(user=user)),
                env={"PATH": "/usr/bin:/bin"},
                cwd="/",
            )
    except (OSError, subprocess.SubprocessError, SandboxUnavailable) as exc:
        return f"bubblewrap cannot start: {exc}"
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        return (
            f"bubblewrap cannot create unprivileged namespaces or load a seccomp filter here "
            f"({detail}); check kernel.unprivileged_userns_clone, user.max_user_namespaces and "
            "that the kernel has seccomp"
        )
    return None
