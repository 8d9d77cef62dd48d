"""What every sandbox sees of the host: the Python runtime, the environment, the sandbox user."""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.errors import GraderError

__all__ = [
    "ETC_FILES",
    "SANDBOX_USER",
    "SYSTEM_DIRS",
    "SandboxUser",
    "grant_sandbox_access",
    "group_text",
    "minimal_env",
    "passwd_text",
    "python_executable",
    "runtime_paths",
    "sandbox_user",
    "validate_target",
    "writable_entries",
]

SANDBOX_USER = "arena-sandbox"
# Read by the dynamic loader and by Python; nothing secret. passwd/group are generated instead.
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf")
# Top-level system directories holding the interpreter's shared libraries.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class SandboxUser:
    name: str
    uid: int
    gid: int


def sandbox_user() -> SandboxUser | None:
    """The dedicated unprivileged user sandboxes run as, or None if it does not exist."""
    try:
        entry = pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        return None
    return SandboxUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def python_executable() -> str:
    """The interpreter sandboxes run: the project's virtualenv python (the one running us)."""
    return settings.sandbox_python()


def runtime_paths() -> list[str]:
    """Host directories (besides SYSTEM_DIRS) that hold the Python runtime, bound read-only.

    The virtualenv and the base installation it points to (e.g. a pyenv build under /root);
    paths already inside a system directory are left out.
    """
    found: list[str] = []
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        path = os.path.realpath(prefix)
        if any(path == d or path.startswith(d + "/") for d in SYSTEM_DIRS):
            continue
        if not any(path == p or path.startswith(p + "/") for p in found):
            found.append(path)
    return found


def minimal_env(extra: Mapping[str, str], python: str) -> dict[str, str]:
    """The whole environment of a sandboxed process: a minimal base plus the caller's allow-list."""
    bin_dir = os.path.dirname(python)
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/scratch",
        "TMPDIR": "/scratch",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": "/arena/harness",
        "MPLCONFIGDIR": "/scratch/.matplotlib",
        "TORCH_HOME": "/scratch/.torch",
    }
    env.update({str(k): str(v) for k, v in extra.items()})
    return env


def passwd_text(user: SandboxUser | None, uid: int, gid: int) -> str:
    name = user.name if user else SANDBOX_USER
    return (
        f"{name}:x:{uid}:{gid}:sandbox:/scratch:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )


def group_text(user: SandboxUser | None, gid: int) -> str:
    name = user.name if user else SANDBOX_USER
    return f"{name}:x:{gid}:\nnogroup:x:65534:\n"


def grant_sandbox_access(path: Path, *, writable: bool = False) -> None:
    """Let the sandbox user use `path`, a file or a directory tree made by the trusted side.

    Read-only: directories 0755, files 0644. `writable=True` (the IPC directory: the socket must
    be connectable, the shared-memory file read/writable): 0777 and 0666, whatever uid the
    backend runs as. Keep such a tree inside a private (0700) directory of the trusted side:
    sandboxes reach it through their bind mount, other host users cannot reach it at all.
    """
    entries = [path] + (sorted(path.rglob("*")) if path.is_dir() else [])
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            entry.chmod(0o777 if writable else 0o755)
        else:
            entry.chmod(0o666 if writable else 0o644)


def writable_entries(source: Path) -> list[str]:
    """The names a writable mount's source holds when the run starts: each is bound alone into
    a capped empty directory, so nothing new can be created on the host through the mount."""
    return sorted(os.listdir(source)) if source.is_dir() else []


def validate_target(target: str) -> None:
    """Mount targets are absolute, normalised and never replace a system directory."""
    if not target.startswith("/") or os.path.normpath(target) != target or target == "/":
        raise GraderError(f"invalid sandbox mount target {target!r}", permanent=True)
    top = "/" + target.split("/")[1]
    if top in SYSTEM_DIRS or top in ("/proc", "/dev", "/etc"):
        raise GraderError(f"sandbox mount target {target!r} hides a system path", permanent=True)
