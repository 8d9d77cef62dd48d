"""The sandbox interface shared by every backend (`bwrap`, `docker`, `none`).

A run is described as data (`SandboxSpec`: argv, mounts, limits merged over defaults) and always
torn down by the context manager `Sandbox.open`. Fixed paths inside every sandbox:

- `/arena/harness`, `/arena/submission`, `/arena/inputs`: read-only mounts given by the caller;
- `/arena/ipc` (any writable mount): a tiny size-capped tmpfs into which the entries that exist
  in the source when the run starts (the socket, the shared-memory file) are bound one by one:
  the sandbox cannot create files there, only use those (the caller makes them usable by the
  sandbox user, see `grant_sandbox_access`);
- `/scratch`: a size-capped tmpfs, the only writable place (`HOME` and `TMPDIR`);
- `/dev/shm`: private and size-capped.
The Python runtime is visible read-only at its host path, reduced to the interpreter, its
stdlib and the allow-listed packages (`runtime.py`); `argv[0] == "{python}"` names it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

__all__ = [
    "PYTHON_PLACEHOLDER",
    "Limits",
    "Mount",
    "RunResult",
    "Sandbox",
    "SandboxProcess",
    "SandboxSpec",
    "SpareProcess",
]

PYTHON_PLACEHOLDER = "{python}"


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 120.0
    cpu_seconds: int = 240
    memory_mb: int = 2048
    pids: int = 256
    scratch_mb: int = 256
    shm_mb: int = 256
    output_bytes: int = 64_000
    file_size_mb: int = 256
    open_files: int = 256

    def merged(self, overrides: Mapping[str, Any]) -> Limits:
        """These limits with `overrides` applied; None values are ignored, unknown keys rejected."""
        known = {f.name: f.type for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ValueError(f"unknown sandbox limits: {', '.join(unknown)}")
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            cast = float if key == "wall_seconds" else int
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"sandbox limit {key} must be a number, got {value!r}")
            if value <= 0:
                raise ValueError(f"sandbox limit {key} must be positive, got {value!r}")
            changes[key] = cast(value)
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class SandboxSpec:
    # argv[0] may be the literal "{python}": replaced by the backend's python inside.
    argv: Sequence[str]
    mounts: Sequence[Mount] = ()
    limits: Limits = Limits()
    gpus: str = "none"  # "none" | "all" | "0,1"
    # Allow-list merged over a minimal environment (PATH, HOME=/scratch, TMPDIR=/scratch, LANG,
    # PYTHONDONTWRITEBYTECODE, PYTHONPATH=/arena/harness, thread counts).
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str = "/scratch"
    # Optional Python distributions on top of the base runtime (`runtime.OPTIONAL_DISTRIBUTIONS`,
    # e.g. "torchvision"); everything else of the host's packages stays invisible.
    packages: Sequence[str] = ()


@dataclass
class RunResult:
    exit_code: int | None  # negative: killed by that signal; None: never started or not reaped
    stdout: bytes  # each capped at limits.output_bytes
    stderr: bytes
    duration_s: float
    timed_out: bool
    oom_killed: bool
    output_truncated: bool
    cpu_limited: bool
    # Time to get the process started: bwrap, fork+exec of bubblewrap; docker, the engine's
    # start call (container creation before it is not counted).
    start_s: float


class SandboxProcess(Protocol):
    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> RunResult:
        """Wait for the end and collect the result.

        limits.wall_seconds (from the start) is enforced by a watchdog whether or not anyone
        waits. With `timeout`, raises `TimeoutError` if the process is still running after that
        many seconds (it is left running; the wall-clock limit still applies).
        """
        ...

    def kill(self) -> None:
        """Kill the whole process tree now."""
        ...


class SpareProcess(SandboxProcess, Protocol):
    def go(self, data: bytes) -> None:
        """Restart the wall clock from now, write ``data`` to stdin and close it."""
        ...


class Sandbox(ABC):
    name: ClassVar[str]  # "bwrap" | "docker" | "none"
    python: str  # the python executable path INSIDE the sandbox
    # Whether `open_spare` works (the backends that watch a local process: bwrap and none).
    supports_spares: ClassVar[bool] = False

    def open(self, spec: SandboxSpec) -> contextlib.AbstractContextManager[SandboxProcess]:
        """Start the spec's process; leaving the context always tears everything down.

        The process's stdin is empty (use `run` to send bytes).
        """
        return self._open(spec, b"")

    def open_spare(self, spec: SandboxSpec) -> contextlib.AbstractContextManager[SpareProcess]:
        """Start the spec's process ahead of need (`grader/stages/spares.py`): its stdin stays
        open and its wall clock starts at `go`; never waits for a CPU slot (`SlotsBusy`)."""
        if not self.supports_spares:
            from grader.errors import GraderError

            raise GraderError(f"the {self.name} backend cannot start spare sandboxes")
        return self._open(spec, None)  # type: ignore[return-value]

    def run(self, spec: SandboxSpec, stdin: bytes = b"") -> RunResult:
        """Run to completion (or to a limit) and return the result."""
        with self._open(spec, stdin) as process:
            return process.wait()

    @abstractmethod
    def _open(
        self, spec: SandboxSpec, stdin: bytes | None
    ) -> contextlib.AbstractContextManager[SandboxProcess]:
        """`open` with bytes fed to stdin before it is closed; None: a spare (`open_spare`)."""

    @classmethod
    @abstractmethod
    def available(cls) -> str | None:
        """None if this backend can run here, else the reason in words."""
