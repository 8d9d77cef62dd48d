"""A sandboxed process started on this host (bwrap and none backends), watched from outside.

The wall-clock limit and the run's total CPU time (all processes and threads, from the cgroup)
are enforced here, by the trusted side, killing the whole tree: the process group, and every
process the cgroup still lists.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

from grader.sandbox.base import Limits, RunResult
from grader.sandbox.cgroups import RunCgroup
from grader.sandbox.streams import PipeDrainer

__all__ = ["LocalProcess", "feed_stdin", "signal_exit_code"]

_POLL_S = 0.05


def signal_exit_code(code: int | None, *, shell_style: bool) -> int | None:
    """Negative signal numbers for killed processes (the subprocess convention).

    bubblewrap reports a child killed by signal N as 128 + N; that is mapped back.
    """
    if code is None or not shell_style or code <= 128:
        return code
    number = code - 128
    return -number if number in {s.value for s in signal.Signals} else code


def feed_stdin(popen: subprocess.Popen[bytes], data: bytes) -> None:
    """Write `data` to the process's stdin on a thread (it may be large), then close it."""
    assert popen.stdin is not None
    stdin = popen.stdin

    def feed() -> None:
        with contextlib.suppress(OSError):
            if data:
                stdin.write(data)
            stdin.close()

    if data:
        threading.Thread(target=feed, daemon=True, name="sandbox-stdin").start()
    else:
        feed()


class LocalProcess:
    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        limits: Limits,
        *,
        started_at: float,
        start_s: float,
        cgroup: RunCgroup | None,
        shell_style_exit: bool,
        armed: bool = True,
    ) -> None:
        self._popen = popen
        # A spare's wall clock is not running until go(): it waits, importing nothing of the
        # mentee's; the CPU limit holds from the start (the import counts, as in a cold start).
        self._armed = armed
        self._limits = limits
        self._started_at = started_at
        self._start_s = start_s
        self._cgroup = cgroup
        self._shell_style_exit = shell_style_exit
        assert popen.stdout is not None and popen.stderr is not None
        self._stdout = PipeDrainer(popen.stdout, limits.output_bytes)
        self._stderr = PipeDrainer(popen.stderr, limits.output_bytes)
        self._timed_out = False
        self._cpu_limited = False
        self._ended_at: float | None = None
        self._result: RunResult | None = None
        self._done = threading.Event()
        # The limits hold whether or not anyone is in wait(): a watchdog enforces them.
        threading.Thread(target=self._watch, daemon=True, name="sandbox-watchdog").start()

    def poll(self) -> int | None:
        code = self._popen.poll()
        return signal_exit_code(code, shell_style=self._shell_style_exit)

    def wait(self, timeout: float | None = None) -> RunResult:
        if not self._done.wait(timeout):
            raise TimeoutError("the sandboxed process is still running")
        if self._result is None:
            self._result = self._collect()
        return self._result

    def go(self, data: bytes) -> None:
        """Start a spare (stdin held open): its wall clock runs from now, then ``data`` reaches
        its stdin, which is closed."""
        self._started_at = time.monotonic()
        self._armed = True
        feed_stdin(self._popen, data)

    def _watch(self) -> None:
        while True:
            # Read each time: a spare's clock is restarted by go().
            deadline = self._started_at + self._limits.wall_seconds
            try:
                self._popen.wait(_POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            if self._armed and not self._timed_out and time.monotonic() >= deadline:
                self._timed_out = True
                self.kill()
            elif not self._cpu_limited and self._over_cpu_budget():
                self._cpu_limited = True
                self.kill()
        self._ended_at = time.monotonic()
        self._done.set()

    def _over_cpu_budget(self) -> bool:
        if self._cgroup is None:
            return False
        try:
            return self._cgroup.cpu_seconds() >= self._limits.cpu_seconds
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the process group, then whatever the cgroup still lists."""
        if self._popen.returncode is None:
            try:
                os.killpg(self._popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._cgroup is not None:
            self._cgroup.kill_all()

    def _collect(self) -> RunResult:
        self.kill()  # leftovers of a tree whose leader exited (daemonised children)
        self._stdout.join(5.0)
        self._stderr.join(5.0)
        assert self._ended_at is not None
        oom = self._cgroup.oom_killed() if self._cgroup is not None else False
        code = signal_exit_code(self._popen.returncode, shell_style=self._shell_style_exit)
        if code == -signal.SIGXCPU:
            self._cpu_limited = True
        return RunResult(
            exit_code=code,
            stdout=self._stdout.buffer.getvalue(),
            stderr=self._stderr.buffer.getvalue(),
            duration_s=self._ended_at - self._started_at,
            timed_out=self._timed_out,
            oom_killed=oom,
            output_truncated=self._stdout.buffer.truncated or self._stderr.buffer.truncated,
            cpu_limited=self._cpu_limited,
            start_s=self._start_s,
        )

    def close(self) -> None:
        """Kill and reap; the caller then removes the cgroup and temporary files."""
        self.kill()
        self._done.wait(10)
        for pipe in (self._popen.stdin,):
            if pipe is not None and not pipe.closed:
                pipe.close()
        self._stdout.join(5.0)
        self._stderr.join(5.0)
