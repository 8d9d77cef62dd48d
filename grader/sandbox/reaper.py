"""The Docker backend's watchdog from outside the grading process.

The wall clock of a container is enforced by a thread of the grading process; if that process
dies (SIGBUS, SIGKILL, an OOM kill of the worker), nothing in it can stop the container. So
each container also gets a detached reaper process (its own session: the worker's death does
not take it along) that removes the container `GRACE_S` after its wall clock at the latest,
and every new Docker sandbox sweeps containers whose `arena.deadline` label has passed (in case
a reaper was killed too).

Run as `python -m grader.sandbox.reaper <container id> <seconds>`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import docker
import requests
from docker.errors import DockerException

__all__ = ["DEADLINE_LABEL", "GRACE_S", "spawn_reaper", "sweep_expired_containers"]

DEADLINE_LABEL = "arena.deadline"  # epoch seconds after which the container must not exist
GRACE_S = 10.0  # the in-process watchdog acts first; the reaper only when it could not
_ERRORS = (DockerException, requests.exceptions.RequestException)


def spawn_reaper(container_id: str, wall_seconds: float) -> None:
    """Start the detached reaper for one container; it outlives the calling process."""
    argv = [
        sys.executable,
        "-m",
        "grader.sandbox.reaper",
        container_id,
        str(wall_seconds + GRACE_S),
    ]
    with contextlib.suppress(OSError):
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            env={
                k: v for k, v in os.environ.items() if k.startswith(("DOCKER_", "PATH", "PYTHON"))
            },
        )


def _reap(container_id: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    client = docker.from_env(timeout=30)
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                client.api.wait(container_id, timeout=max(left, 1.0))
                return  # ended in time: the grading process removes it (or the sweep will)
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                continue  # docker-py reports a read timeout on its socket either way
            except _ERRORS:
                return  # already gone
        with contextlib.suppress(*_ERRORS):
            client.api.remove_container(container_id, force=True, v=True)
    finally:
        client.close()


def sweep_expired_containers(client: docker.DockerClient) -> list[str]:
    """Remove arena sandbox containers past their deadline; returns their ids."""
    removed: list[str] = []
    now = time.time()
    with contextlib.suppress(*_ERRORS):
        for item in client.api.containers(all=True, filters={"label": DEADLINE_LABEL}):
            try:
                deadline = float(item.get("Labels", {}).get(DEADLINE_LABEL, "inf"))
            except ValueError:
                continue
            if deadline < now:
                with contextlib.suppress(*_ERRORS):
                    client.api.remove_container(item["Id"], force=True, v=True)
                    removed.append(item["Id"])
    return removed


if __name__ == "__main__":
    _reap(sys.argv[1], float(sys.argv[2]))
