"""The Docker backend: one throw-away container per run, limits enforced by the engine.

Output is read from an attach stream opened before the container starts (the logging driver is
off, so nothing is stored by the engine). The wall-clock limit and the run's total CPU time
are enforced from here; the container is always removed, whatever happens. If this process
dies, a detached reaper removes the container soon after its wall clock (`reaper.py`).

CPU time: the engine only offers RLIMIT_CPU, which is per process, so a run that spreads its
work over many short-lived processes (or DataLoader workers) could use far more than
`limits.cpu_seconds` in total. A second watchdog reads the container's cgroup CPU usage (all
processes and threads) from the engine's stats API and kills the container past the limit, as
the bubblewrap backend does with its own cgroup.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import docker
import requests
from docker.errors import DockerException, ImageNotFound
from docker.utils import version_lt

from grader.errors import GraderError, SandboxUnavailable
from grader.sandbox.base import Limits, RunResult, Sandbox, SandboxProcess, SandboxSpec
from grader.sandbox.container_config import RunnerImage, container_settings, runner_image_name
from grader.sandbox.host_paths import ENV_VAR as HOST_PATHS_VAR
from grader.sandbox.local_process import signal_exit_code
from grader.sandbox.reaper import spawn_reaper, sweep_expired_containers
from grader.sandbox.slots import Slot, acquire_slot, slot_config
from grader.sandbox.streams import CappedBuffer

__all__ = ["DockerSandbox"]

_ENGINE_TIMEOUT_S = 30
_CPU_POLL_S = 0.5  # a one-shot stats call costs the engine a few cgroup file reads
_STDOUT, _STDERR = 1, 2


def _raw_socket(attached: Any) -> socket.socket:
    return attached._sock if hasattr(attached, "_sock") else attached


class _AttachReader:
    """Demultiplexes the attach stream (8-byte frame headers) into two capped buffers."""

    def __init__(self, sock: socket.socket, cap: int) -> None:
        self.stdout = CappedBuffer(cap)
        self.stderr = CappedBuffer(cap)
        self._sock = sock
        self._thread = threading.Thread(target=self._run, daemon=True, name="sandbox-attach")
        self._thread.start()

    def _read_exact(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = self._sock.recv(min(size, 65536))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _run(self) -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                stream, size = struct.unpack(">BxxxL", self._read_exact(8))
                target = self.stderr if stream == _STDERR else self.stdout
                while size:  # frames are streamed through, never held whole
                    chunk = self._read_exact(min(size, 65536))
                    target.write(chunk)
                    size -= len(chunk)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class DockerProcess:
    def __init__(
        self, api: docker.APIClient, container_id: str, limits: Limits, reader: _AttachReader
    ) -> None:
        self._api = api
        self._id = container_id
        self._limits = limits
        self._reader = reader
        self._timed_out = False
        self._cpu_limited = False
        self._killed = False
        self._ended_at: float | None = None
        self._result: RunResult | None = None
        self._done = threading.Event()
        self._started_at = time.monotonic()
        self._api.start(container_id)
        self._start_s = time.monotonic() - self._started_at
        # From outside this process too: if it dies, the container still ends (reaper.py).
        spawn_reaper(container_id, limits.wall_seconds)
        # The wall clock holds whether or not anyone is in wait(): a watchdog enforces it,
        # with a client of its own (one HTTP connection per thread).
        watchdog_api = docker.from_env(timeout=_ENGINE_TIMEOUT_S).api
        threading.Thread(
            target=self._watch, args=(watchdog_api,), daemon=True, name="sandbox-watchdog"
        ).start()
        cpu_api = docker.from_env(timeout=_ENGINE_TIMEOUT_S).api
        threading.Thread(
            target=self._watch_cpu, args=(cpu_api,), daemon=True, name="sandbox-cpu-watchdog"
        ).start()

    def poll(self) -> int | None:
        if not self._done.is_set():
            return None
        state = self._api.inspect_container(self._id)["State"]
        return signal_exit_code(int(state["ExitCode"]), shell_style=True)

    def wait(self, timeout: float | None = None) -> RunResult:
        if not self._done.wait(timeout):
            raise TimeoutError("the sandboxed container is still running")
        if self._result is None:
            self._result = self._collect()
        return self._result

    def _watch(self, api: docker.APIClient) -> None:
        deadline = self._started_at + self._limits.wall_seconds
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 and not self._timed_out:
                    self._timed_out = True
                    self.kill()
                try:
                    api.wait(self._id, timeout=max(remaining, 1.0))
                    break
                except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                    continue
        except (DockerException, requests.exceptions.RequestException):
            pass  # the container is gone: removed at teardown
        finally:
            api.close()
            self._ended_at = time.monotonic()
            self._done.set()

    def _watch_cpu(self, api: docker.APIClient) -> None:
        # one-shot (API 1.41, Docker 20.10) answers at once; older engines wait for a sample.
        one_shot = True if not version_lt(api.api_version, "1.41") else None
        try:
            while not self._done.wait(_CPU_POLL_S):
                stats = api.stats(self._id, stream=False, one_shot=one_shot)
                used_ns = stats.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage", 0)
                if used_ns / 1e9 >= self._limits.cpu_seconds and not self._timed_out:
                    self._cpu_limited = True
                    self.kill()
                    return
        except (DockerException, requests.exceptions.RequestException):
            pass  # the container is gone: the run is over
        finally:
            api.close()

    def kill(self) -> None:
        # SIGKILL reaches the container's init; the PID namespace takes every process with it.
        self._killed = True
        with contextlib.suppress(DockerException):
            self._api.kill(self._id)

    def join_watchdog(self) -> None:
        self._done.wait(10)

    def _collect(self) -> RunResult:
        self._reader.join(5.0)
        state = self._api.inspect_container(self._id)["State"]
        code = signal_exit_code(int(state["ExitCode"]), shell_style=True)
        oom = bool(state.get("OOMKilled"))
        assert self._ended_at is not None
        return RunResult(
            exit_code=code,
            stdout=self._reader.stdout.getvalue(),
            stderr=self._reader.stderr.getvalue(),
            duration_s=self._ended_at - self._started_at,
            timed_out=self._timed_out,
            oom_killed=oom,
            output_truncated=self._reader.stdout.truncated or self._reader.stderr.truncated,
            # RLIMIT_CPU (one process) sends SIGXCPU at the soft limit. A bare SIGKILL is not
            # taken as a CPU limit: the submission may have killed its own processes, and the
            # total-CPU watchdog above catches whatever ignores SIGXCPU.
            cpu_limited=self._cpu_limited or code == -24,
            start_s=self._start_s,
        )


def _send_stdin(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # closes the container's stdin (stdin_once)


class DockerSandbox(Sandbox):
    name: ClassVar[str] = "docker"

    def __init__(self) -> None:
        try:
            self._client = docker.from_env(timeout=_ENGINE_TIMEOUT_S)
            image = self._client.images.get(runner_image_name())
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise SandboxUnavailable(f"the Docker engine is not usable: {exc}") from exc
        self._image = RunnerImage.from_labels(runner_image_name(), image.labels)
        self.python = self._image.python

    @classmethod
    def available(cls) -> str | None:
        try:
            client = docker.from_env(timeout=5)
            client.ping()
        except (DockerException, requests.exceptions.RequestException) as exc:
            return f"no Docker engine answers ({exc.__class__.__name__})"
        name = runner_image_name()
        try:
            image = client.images.get(name)
        except ImageNotFound:
            return f"the runner image {name} is missing (make runner-image)"
        except (DockerException, requests.exceptions.RequestException) as exc:
            return f"the Docker engine failed: {exc}"
        finally:
            client.close()
        try:
            RunnerImage.from_labels(name, image.labels)
        except GraderError as exc:
            return exc.message
        return None

    def _create(self, spec: SandboxSpec, stdin: bool, slot: Slot | None = None) -> str:
        for mount in spec.mounts:
            if not mount.source.exists():
                raise GraderError(f"sandbox mount source {mount.source} does not exist")
        settings = container_settings(spec, self._image, stdin=stdin)
        if slot is not None:  # the run's CPU slot (slots.py): its cores and no more
            settings["host_config"]["cpuset_cpus"] = slot.cpu_list
            settings["host_config"]["nano_cpus"] = len(slot.cpus) * 1_000_000_000
        api = self._client.api
        settings["host_config"] = api.create_host_config(**settings["host_config"])
        try:
            return str(api.create_container(**settings)["Id"])
        except DockerException as exc:
            if "bind source path does not exist" in str(exc):
                # The engine looks on its own host: this worker probably runs in a container.
                raise GraderError(
                    f"the Docker engine cannot bind a path of this worker ({exc}); a worker in a "
                    f"container needs {HOST_PATHS_VAR} and TMPDIR (docs/deployment.md)"
                ) from exc
            raise

    @contextlib.contextmanager
    def _open(self, spec: SandboxSpec, stdin: bytes | None) -> Iterator[SandboxProcess]:
        api = self._client.api
        container_id: str | None = None
        sock: socket.socket | None = None
        reader: _AttachReader | None = None
        processes: list[DockerProcess] = []
        # The CPU slot is held until the container is removed (given back last, below).
        slot_hold = contextlib.ExitStack()
        try:
            slot = slot_hold.enter_context(acquire_slot(slot_config()))
            sweep_expired_containers(self._client)  # left by dead workers whose reaper died too
            stdin = stdin or b""  # no spares here (supports_spares is False)
            container_id = self._create(spec, bool(stdin), slot)
            params = {"stdout": 1, "stderr": 1, "stream": 1, "stdin": int(bool(stdin))}
            sock = _raw_socket(api.attach_socket(container_id, params=params))
            reader = _AttachReader(sock, spec.limits.output_bytes)
            process = DockerProcess(api, container_id, spec.limits, reader)
            processes.append(process)
            if stdin:
                threading.Thread(target=_send_stdin, args=(sock, stdin), daemon=True).start()
            yield process
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise GraderError(f"the Docker engine failed: {exc}") from exc
        finally:
            self._teardown(container_id, sock, reader)
            for process in processes:
                process.join_watchdog()
            slot_hold.close()

    def _teardown(
        self, container_id: str | None, sock: socket.socket | None, reader: _AttachReader | None
    ) -> None:
        if container_id is not None:
            with contextlib.suppress(DockerException, requests.exceptions.RequestException):
                self._client.api.remove_container(container_id, force=True, v=True)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        if reader is not None:
            reader.join(5.0)
