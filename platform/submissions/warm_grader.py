"""The worker's next grader, started before its job: imports done, spare sandboxes waiting.

Every grading runs in a fresh ``python -m grader`` process (credentials stay behind, one
process per grading as before). What changes is when that process starts: right after a
grading ends, the worker starts the next one as ``python -m grader warm`` (``grader/warm.py``).
It imports the grader and starts spare sandboxes shaped like the first stage of this worker's
last grading, then waits; the next job is written to its stdin and it grades exactly as
``python -m grader grade`` would, so a run of gradings of one assignment (a week's deadline)
starts each with nothing left to import.

A waiting process started under other settings (another ARENA_HOME, another interpreter) is
discarded, never used: the job then starts cold. It dies with the worker (PDEATHSIG), and its
sandboxes with it. ``ARENA_WARM_GRADER=0`` turns this off.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

__all__ = ["WarmGrader", "job_of", "start_grader", "warm_grader"]


@dataclass
class _Waiting:
    process: subprocess.Popen[str]
    env: dict[str, str]
    cwd: str
    python: str


def job_of(command: Sequence[str]) -> str | None:
    """The JSON job a warm grader takes for ``python -m grader grade ...`` (None: not one)."""
    if len(command) < 4 or list(command[1:3]) != ["-m", "grader"] or command[3] != "grade":
        return None
    return json.dumps(list(command[3:]))


class WarmGrader:
    """At most one waiting grader process for this worker process."""

    def __init__(self) -> None:
        self._waiting: _Waiting | None = None

    def key_file(self) -> Path:
        """Where this worker process's graders record their first stage (one per process:
        workers of different queues on one machine grade different assignments)."""
        return _key_folder() / f"{os.getpid()}.json"

    def take(
        self, command: Sequence[str], env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[str] | None:
        """The waiting process if it can run ``command`` as it stands (same interpreter,
        environment and folder, still alive); else None, and it is discarded."""
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return None
        usable = (
            waiting.process.poll() is None
            and waiting.python == command[0]
            and waiting.env == env
            and waiting.cwd == str(cwd)
        )
        if not usable:
            _discard(waiting.process)
            return None
        return waiting.process

    def start(
        self,
        env: dict[str, str],
        cwd: Path,
        preexec: Callable[[], None],
    ) -> None:
        """Start the next grader (a failure here only means the next job starts cold)."""
        if not settings.ARENA_WARM_GRADER:
            return
        self.discard()
        key_file = self.key_file()
        try:
            key_file.parent.mkdir(parents=True, exist_ok=True)
            _prune_key_files()
            process = start_grader(
                [sys.executable, "-m", "grader", "warm", "--key-file", str(key_file)],
                env,
                cwd,
                preexec,
                stdin=subprocess.PIPE,
            )
        except OSError:
            return
        self._waiting = _Waiting(process, dict(env), str(cwd), sys.executable)

    def discard(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            _discard(waiting.process)


def start_grader(
    command: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    preexec: Callable[[], None],
    *,
    stdin: int,
) -> subprocess.Popen[str]:
    """A grader process as the worker runs one: its own session, text pipes, ``preexec``."""
    return subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=preexec,  # noqa: PLW1509  (one task per worker process: no threads)
    )


def _key_folder() -> Path:
    return settings.ARENA_HOME / "run" / "warm-grader"


def _prune_key_files() -> None:
    """The key files of worker processes that are gone (restarts would pile them up)."""
    for path in _key_folder().glob("*.json"):
        if path.stem.isdigit() and not _alive(int(path.stem)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _discard(process: subprocess.Popen[str]) -> None:
    """End a waiting grader and everything it started (its spares die with it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        process.kill()


_WARM = WarmGrader()


def warm_grader() -> WarmGrader:
    """This worker process's one warm grader."""
    return _WARM
