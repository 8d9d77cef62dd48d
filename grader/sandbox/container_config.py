"""The Docker container settings for one sandbox run (pure: no engine needed).

Two kinds of runner image, told apart by the image's labels:
- `arena.runtime=image` (production, `grader/runner_image/Dockerfile`): the image carries its
  own Python and PyTorch; `arena.python` names the interpreter.
- `arena.runtime=host` (the offline image of `build_offline.sh`, for machines without a
  registry): a near-empty root filesystem; the host's system directories and Python runtime
  are bound read-only at run time at their host paths, as the bubblewrap backend does.
`arena.user` is the non-root "uid:gid" the container runs as.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from docker.types import DeviceRequest, LogConfig, Ulimit
from docker.types import Mount as DockerMount

from grader import settings
from grader.errors import GraderError
from grader.sandbox.base import PYTHON_PLACEHOLDER, SandboxSpec
from grader.sandbox.environment import (
    ETC_FILES,
    SYSTEM_DIRS,
    minimal_env,
    python_executable,
    runtime_paths,
    validate_target,
    writable_entries,
)
from grader.sandbox.host_paths import engine_source
from grader.sandbox.reaper import DEADLINE_LABEL, GRACE_S
from grader.sandbox.runtime import MASKED_DATA_DIRS, runtime_layout

__all__ = ["DEFAULT_IMAGE", "RunnerImage", "container_settings", "runner_image_name"]

DEFAULT_IMAGE = "arena-runner:offline"


def runner_image_name() -> str:
    return settings.runner_image(DEFAULT_IMAGE)


@dataclass(frozen=True)
class RunnerImage:
    name: str
    host_runtime: bool  # True: bind the host's Python runtime (offline image)
    python: str
    user: str  # "uid:gid", never root
    # Image runtime: optional packages kept out of the interpreter's own site-packages, each in a
    # folder added to PYTHONPATH only for a spec that asks (labels `arena.optional.<name>`).
    optional: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_labels(cls, name: str, labels: Mapping[str, str] | None) -> RunnerImage:
        labels = labels or {}
        runtime = labels.get("arena.runtime")
        user = labels.get("arena.user", "")
        if runtime not in ("host", "image") or not user:
            raise GraderError(
                f"image {name} is not an arena runner image (labels arena.runtime and "
                "arena.user missing); build it with grader/runner_image/build_offline.sh",
                permanent=True,
            )
        if user.split(":")[0] in ("0", "root"):
            raise GraderError(f"runner image {name} runs as root", permanent=True)
        python = python_executable() if runtime == "host" else labels.get("arena.python", "")
        if not python:
            raise GraderError(f"runner image {name} has no arena.python label", permanent=True)
        prefix = "arena.optional."
        optional = {k[len(prefix) :]: v for k, v in labels.items() if k.startswith(prefix)}
        return cls(
            name=name, host_runtime=runtime == "host", python=python, user=user, optional=optional
        )

    def environment(self, spec: SandboxSpec) -> dict[str, str]:
        """The sandbox's environment; an image runtime's optional packages join PYTHONPATH."""
        env = minimal_env(spec.env, self.python)
        if self.host_runtime:
            return env  # the host layout binds the optional packages themselves (runtime.py)
        missing = [p for p in spec.packages if p not in self.optional]
        if missing:
            raise GraderError(
                f"runner image {self.name} has no {', '.join(missing)} (label arena.optional.*)",
                permanent=True,
            )
        extra = [self.optional[p] for p in spec.packages]
        env["PYTHONPATH"] = ":".join([env["PYTHONPATH"], *extra])
        return env


# Empty directories (masks, the IPC directory): root-owned 0555, so the non-root, capability-less
# container user can create nothing in them; the engine makes its mount points as root.
_EMPTY_DIR_BYTES = 64 * 1024


def _empty_dir(target: str) -> DockerMount:
    return DockerMount(
        target=target, source=None, type="tmpfs", tmpfs_size=_EMPTY_DIR_BYTES, tmpfs_mode=0o555
    )


def _runtime_mounts(packages: tuple[str, ...]) -> list[DockerMount]:
    """The host runtime as `runtime.py` lays it out; the engine orders mounts by depth, so
    masks land over the system binds and the allowed packages' files inside the masks."""
    # Never /sbin: the engine mounts its init (init=True) at /sbin/docker-init, which a bind of
    # a real /sbin (a worker in a container, a host without merged /usr) would hide; the
    # interpreter needs nothing from it.
    paths = [
        d for d in SYSTEM_DIRS if d != "/sbin" and os.path.isdir(d) and not os.path.islink(d)
    ]
    paths += runtime_paths()
    paths += [f for f in ETC_FILES if os.path.isfile(f)]
    layout = runtime_layout(packages, tuple(runtime_paths()))
    # A containerised worker must see the host's runtime at the same paths (host_paths.py).
    mounts = [_runtime_bind(p) for p in paths]
    mounts += [_empty_dir(p) for p in layout.masks]
    mounts += [_runtime_bind(p) for p in layout.binds]
    return mounts


def _runtime_bind(path: str) -> DockerMount:
    source = engine_source(path, copyable=False)
    return DockerMount(target=path, source=source, type="bind", read_only=True)


def _spec_mounts(spec: SandboxSpec) -> list[DockerMount]:
    """The caller's mounts; a writable one is an empty capped directory with the source's
    entries (the IPC socket and shared-memory file) bound in: nothing new reaches the host."""
    mounts: list[DockerMount] = []
    for mount in spec.mounts:
        validate_target(mount.target)
        if not mount.writable:
            mounts.append(
                DockerMount(
                    target=mount.target,
                    source=engine_source(mount.source),
                    type="bind",
                    read_only=True,
                )
            )
            continue
        mounts.append(_empty_dir(mount.target))
        for name in writable_entries(mount.source):
            source = engine_source(os.path.join(mount.source, name), writable=True)
            target = f"{mount.target}/{name}"
            mounts.append(DockerMount(target=target, source=source, type="bind", read_only=False))
    return mounts


def _device_requests(gpus: str) -> list[DeviceRequest]:
    if gpus == "none":
        return []
    if gpus == "all":
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    ids = [str(int(i)) for i in gpus.split(",")]
    return [DeviceRequest(device_ids=ids, capabilities=[["gpu"]])]


def _cpus() -> int:
    return settings.sandbox_cpus()


def container_settings(spec: SandboxSpec, image: RunnerImage, *, stdin: bool) -> dict[str, Any]:
    """Keyword arguments for `docker.APIClient.create_container` + `create_host_config`."""
    limits = spec.limits
    mib = 1024 * 1024
    deadline_s = limits.wall_seconds + GRACE_S + 60
    # An image runtime still gets its data directories masked: the base image is not ours.
    mounts = (
        _runtime_mounts(tuple(spec.packages))
        if image.host_runtime
        else [_empty_dir(d) for d in MASKED_DATA_DIRS]
    )
    mounts += _spec_mounts(spec)
    command = list(spec.argv)
    if command and command[0] == PYTHON_PLACEHOLDER:
        command[0] = image.python
    host_config = {
        "network_mode": "none",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "privileged": False,
        "init": True,  # an init as PID 1 reaps zombies; killing it ends the whole tree
        "ipc_mode": "private",
        "mem_limit": limits.memory_mb * mib,
        "memswap_limit": limits.memory_mb * mib,  # equal: no swap
        "pids_limit": limits.pids,
        "nano_cpus": _cpus() * 1_000_000_000,
        "shm_size": limits.shm_mb * mib,
        # exec: PyTorch's JIT writes and loads shared objects under TMPDIR, as with bwrap.
        "tmpfs": {"/scratch": f"size={limits.scratch_mb}m,mode=1777,exec,nosuid,nodev"},
        "ulimits": [
            Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds + 1),
            Ulimit(name="fsize", soft=limits.file_size_mb * mib, hard=limits.file_size_mb * mib),
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "log_config": LogConfig(type=LogConfig.types.NONE),
        "mounts": mounts,
        "device_requests": _device_requests(spec.gpus),
    }
    return {
        "image": image.name,
        "command": command,
        "user": image.user,
        "working_dir": spec.workdir,
        "environment": image.environment(spec),
        "hostname": "arena-sandbox",
        "network_disabled": True,
        "stdin_open": stdin,  # with detach=False this also sets StdinOnce
        "tty": False,
        # The sweep of `reaper.py` removes a container still there past this (its wall clock,
        # the reaper's grace and a minute to be created and started).
        "labels": {"arena.sandbox": "1", DEADLINE_LABEL: f"{time.time() + deadline_s:.0f}"},
        "host_config": host_config,
    }
