"""A grading worker in a container asks the host's Docker engine only for binds that exist on
the host: with ARENA_DOCKER_HOST_PATHS set, sources below a listed folder are bound as they are,
the read-only ones elsewhere (the harness baked into the worker image) are bound from a staged
read-only copy under TMPDIR, and a writable one elsewhere is a clear error, never a broken bind."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.sandbox import Limits, Mount, SandboxSpec
from grader.sandbox.container_config import RunnerImage, container_settings
from grader.sandbox.host_paths import STAGE_FOLDER, engine_source

PRODUCTION = RunnerImage(
    "arena-runner:cuda", host_runtime=False, python="/opt/conda/bin/python", user="10001:10001"
)
OFFLINE = RunnerImage("arena-runner:offline", host_runtime=True, python="/venv/bin/python",
                      user="999:995")


@pytest.fixture
def topology(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A host folder seen at the same path (scratch below it) and a folder only the worker has."""
    shared, private = tmp_path / "shared", tmp_path / "worker-image"
    (shared / "tmp").mkdir(parents=True)
    harness = private / "app" / "grader" / "harness"
    (harness / "arena_harness").mkdir(parents=True)
    (harness / "arena_harness" / "server.py").write_text("print('harness')\n")
    (harness / "arena_harness" / "__pycache__").mkdir()
    monkeypatch.setenv("ARENA_DOCKER_HOST_PATHS", str(shared))
    monkeypatch.setenv("TMPDIR", str(shared / "tmp"))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    return {"shared": shared, "harness": harness}


def spec(topology: dict[str, Path]) -> SandboxSpec:
    ipc = topology["shared"] / "tmp" / "arena-ipc-x"
    ipc.mkdir()
    (ipc / "socket").write_text("")
    submission = topology["shared"] / "tmp" / "arena-grade-x" / "submission"
    submission.mkdir(parents=True)
    return SandboxSpec(
        argv=["{python}", "-m", "arena_harness"],
        mounts=(
            Mount(topology["harness"], "/arena/harness"),
            Mount(submission, "/arena/submission"),
            Mount(ipc, "/arena/ipc", writable=True),
        ),
        limits=Limits(),
    )


def binds(settings: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {m["Target"]: m["Source"] for m in settings["host_config"]["mounts"] if m["Type"] == "bind"}


def test_without_the_setting_every_path_is_a_host_path(tmp_path: Path) -> None:
    assert engine_source(tmp_path / "anything") == str(tmp_path / "anything")


def test_host_visible_sources_are_bound_as_they_are_and_the_harness_from_a_staged_copy(topology) -> None:  # type: ignore[no-untyped-def]
    sources = binds(container_settings(spec(topology), PRODUCTION, stdin=False))
    tmp = topology["shared"] / "tmp"
    assert sources["/arena/submission"] == str(tmp / "arena-grade-x" / "submission")
    assert sources["/arena/ipc/socket"] == str(tmp / "arena-ipc-x" / "socket")
    staged = Path(sources["/arena/harness"])
    assert staged.parent == tmp / STAGE_FOLDER
    assert (staged / "arena_harness" / "server.py").read_text() == "print('harness')\n"
    assert not (staged / "arena_harness" / "__pycache__").exists()
    assert (staged / "arena_harness" / "server.py").stat().st_mode & 0o777 == 0o444
    # Same content, same copy: staged once, not per run.
    again = binds(container_settings(spec_again(topology), PRODUCTION, stdin=False))
    assert again["/arena/harness"] == str(staged)


def spec_again(topology: dict[str, Path]) -> SandboxSpec:
    return SandboxSpec(argv=["x"], mounts=(Mount(topology["harness"], "/arena/harness"),),
                       limits=Limits())


def test_a_changed_harness_gets_a_copy_of_its_own(topology) -> None:  # type: ignore[no-untyped-def]
    first = engine_source(topology["harness"])
    (topology["harness"] / "arena_harness" / "server.py").write_text("print('v2')\n")
    assert engine_source(topology["harness"]) != first


def test_a_writable_source_the_engine_cannot_see_is_a_clear_error(topology, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GraderError, match="ARENA_DOCKER_HOST_PATHS.*TMPDIR"):
        engine_source(tmp_path / "worker-image" / "ipc", writable=True)


def test_scratch_outside_the_host_paths_is_refused_before_anything_is_bound(topology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(GraderError, match="TMPDIR"):
        engine_source(topology["harness"])


def test_the_offline_image_needs_the_host_runtime_at_the_same_paths(topology) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GraderError, match="cannot see /usr"):
        container_settings(spec(topology), OFFLINE, stdin=False)
