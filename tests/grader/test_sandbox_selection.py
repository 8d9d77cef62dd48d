"""Choosing a backend: "auto" prefers Docker, falls back to bubblewrap, never picks "none"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.sandbox import PYTHON_PLACEHOLDER, Limits, Mount, Sandbox, SandboxSpec, get_sandbox
from grader.sandbox.unsafe import rewrite_paths


@pytest.mark.docker
def test_it_picks_docker_when_the_engine_has_the_runner_image(docker_sandbox: Sandbox) -> None:
    assert get_sandbox("auto").name == "docker"


@pytest.mark.docker
@pytest.mark.bwrap
def test_it_falls_back_to_bwrap_without_the_runner_image(
    docker_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_RUNNER_IMAGE", "arena-runner:does-not-exist")
    assert get_sandbox("auto").name == "bwrap"


def test_it_rewrites_sandbox_paths_for_the_unsafe_backend() -> None:
    table = {"/arena/harness": "/h", "/scratch": "/tmp/s"}
    assert rewrite_paths("/arena/harness/run.py", table) == "/h/run.py"
    assert rewrite_paths("/arena/harnessx", table) == "/arena/harnessx"
    assert rewrite_paths("--out=/scratch/x", table) == "--out=/tmp/s/x"
    assert rewrite_paths("/a:/arena/harness", table) == "/a:/h"


@pytest.mark.slow
def test_it_runs_the_unsafe_backend_only_by_name(tmp_path: Path) -> None:
    unsafe = get_sandbox("none")
    assert unsafe.name == "none"
    (tmp_path / "hello.txt").write_text("hi")
    spec = SandboxSpec(
        argv=[
            PYTHON_PLACEHOLDER,
            "-c",
            "import json, os, sys; print(json.dumps([open(sys.argv[1]).read(), os.getcwd()]))",
            "/arena/inputs/hello.txt",
        ],
        mounts=(Mount(tmp_path, "/arena/inputs"),),
        limits=Limits(wall_seconds=20),
    )
    result = unsafe.run(spec)
    text, cwd = json.loads(result.stdout)
    assert text == "hi"
    assert cwd != "/scratch" and not Path(cwd).exists()  # a private scratch, removed afterwards


@pytest.mark.slow
def test_the_unsafe_backend_still_enforces_the_wall_clock() -> None:
    spec = SandboxSpec(argv=["/bin/sleep", "30"], limits=Limits(wall_seconds=1))
    result = get_sandbox("none").run(spec)
    assert result.timed_out and result.duration_s < 5
