"""A Docker container never outlives its wall clock, even when the grading process dies.

The grading process is killed with SIGBUS (what a truncated shared-memory file once did) while
its container sleeps forever; the detached reaper removes the container within its grace after
the wall clock. A container left past its deadline label (its reaper killed too) is swept by
the next Docker sandbox.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import docker
import pytest

from grader.sandbox import PYTHON_PLACEHOLDER, Limits, Sandbox, SandboxSpec
from grader.sandbox.reaper import DEADLINE_LABEL, GRACE_S

REPO = Path(__file__).resolve().parents[2]
WALL_S = 4.0

# Opens a Docker sandbox that sleeps forever, says the container's id, then dies of SIGBUS.
DYING_GRADER = textwrap.dedent(
    f"""
    import os, signal, sys
    from grader.sandbox import get_sandbox, Limits, SandboxSpec
    spec = SandboxSpec(argv=["{PYTHON_PLACEHOLDER}", "-c", "import time; time.sleep(3600)"],
                       limits=Limits(wall_seconds={WALL_S}))
    with get_sandbox("docker").open(spec) as proc:
        print(proc._id, flush=True)
        os.kill(os.getpid(), signal.SIGBUS)
    """
)


def _exists(client: docker.DockerClient, container_id: str) -> bool:
    return bool(client.api.containers(all=True, filters={"id": container_id}))


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(180)
def test_the_container_ends_when_the_grading_process_dies(docker_sandbox: Sandbox) -> None:
    dying = subprocess.run(
        [sys.executable, "-c", DYING_GRADER],
        check=False,
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert dying.returncode == -7, dying.stderr[-2000:]  # SIGBUS: no teardown ran
    container_id = dying.stdout.decode().split()[0]
    client = docker.from_env()
    try:
        assert _exists(client, container_id)  # orphaned: its grader is gone
        limit = time.monotonic() + WALL_S + GRACE_S + 30
        while _exists(client, container_id) and time.monotonic() < limit:
            time.sleep(0.5)
        assert not _exists(client, container_id), "the orphaned container outlived its wall clock"
    finally:
        if _exists(client, container_id):
            client.api.remove_container(container_id, force=True)
        client.close()


@pytest.mark.slow
@pytest.mark.docker
def test_a_container_past_its_deadline_is_swept_by_the_next_sandbox(
    docker_sandbox: Sandbox,
) -> None:
    client = docker.from_env()
    image = client.images.get(docker_sandbox._image.name)  # type: ignore[attr-defined]
    stale = client.api.create_container(
        image.id,
        command=["/nonexistent"],
        labels={"arena.sandbox": "1", DEADLINE_LABEL: f"{time.time() - 5:.0f}"},
    )["Id"]
    try:
        spec = SandboxSpec(
            argv=[PYTHON_PLACEHOLDER, "-c", "print(1)"], limits=Limits(wall_seconds=60)
        )
        assert docker_sandbox.run(spec).exit_code == 0
        assert not _exists(client, stale)
    finally:
        if _exists(client, stale):
            client.api.remove_container(stale, force=True)
        client.close()
