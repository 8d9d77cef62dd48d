"""Fixtures of the grader tests. Shared file: append new fixtures below, keep the ones above."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator

import pytest

from grader.errors import GraderError
from grader.sandbox import (
    PYTHON_PLACEHOLDER,
    Limits,
    Mount,
    RunResult,
    Sandbox,
    SandboxSpec,
    get_sandbox,
)

# A fake secret in the worker's environment: no sandbox may ever see it (threat 5).
FAKE_SECRET_NAME = "ARENA_TEST_FAKE_SECRET"
FAKE_SECRET_VALUE = "s3cr3t-do-not-leak-4b1d"
os.environ[FAKE_SECRET_NAME] = FAKE_SECRET_VALUE


def _backend_or_fail(name: str, how_to_fix: str) -> Sandbox:
    try:
        return get_sandbox(name)
    except GraderError as exc:
        pytest.fail(f"the {name} sandbox is required by these tests: {exc}. {how_to_fix}")


@pytest.fixture(scope="session")
def fake_secret() -> tuple[str, str]:
    """(name, value) of a secret set in this process's environment before any sandbox starts."""
    return FAKE_SECRET_NAME, FAKE_SECRET_VALUE


@pytest.fixture(scope="session")
def bwrap_sandbox() -> Sandbox:
    return _backend_or_fail(
        "bwrap", "Install bubblewrap and the arena-sandbox user: scripts/install_system_deps.sh."
    )


@pytest.fixture(scope="session")
def docker_sandbox() -> Sandbox:
    return _backend_or_fail(
        "docker",
        "Start the engine and build the runner image: scripts/ensure_docker.sh "
        "(dockerd --bridge=none --iptables=false, then grader/runner_image/build_offline.sh).",
    )


@pytest.fixture(
    params=[
        pytest.param("bwrap", marks=[pytest.mark.bwrap, pytest.mark.slow]),
        pytest.param("docker", marks=[pytest.mark.docker, pytest.mark.slow]),
    ]
)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Each real isolating backend in turn (a missing one fails the test, never skips it)."""
    yield request.getfixturevalue(f"{request.param}_sandbox")


class PythonRunner:
    """Runs a Python snippet in a sandbox with some limits changed."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def __call__(
        self,
        code: str,
        *,
        mounts: tuple[Mount, ...] = (),
        env: dict[str, str] | None = None,
        stdin: bytes = b"",
        **limits: float,
    ) -> RunResult:
        spec = SandboxSpec(
            argv=[PYTHON_PLACEHOLDER, "-c", textwrap.dedent(code)],
            mounts=mounts,
            limits=Limits(wall_seconds=30).merged(limits),
            env=env or {},
        )
        return self.sandbox.run(spec, stdin=stdin)


@pytest.fixture
def run_py(sandbox: Sandbox) -> PythonRunner:
    return PythonRunner(sandbox)


# --- Grading through grade() (grader core) -------------------------------------------------
from pathlib import Path

from grader.grading import GradeOptions, grade
from grader.report import Report

FIXTURE_BUNDLES = Path(__file__).resolve().parent / "bundles"


@pytest.fixture(scope="session")
def arena_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ARENA_HOME for the session: fixture hidden data are built once, not per test."""
    return tmp_path_factory.mktemp("arena-home")


class BundleGrader:
    """Grades a submission against a fixture bundle with one real sandbox backend."""

    def __init__(self, backend: str) -> None:
        self.backend = backend

    def __call__(self, slug: str, submission: Path, *, show_hidden_logs: bool = False) -> Report:
        options = GradeOptions(sandbox=self.backend, show_hidden_logs=show_hidden_logs)
        return grade(FIXTURE_BUNDLES / slug, submission, options)


@pytest.fixture
def grade_with(sandbox: Sandbox, arena_home: Path, monkeypatch: pytest.MonkeyPatch) -> BundleGrader:
    """grade() on fixture bundles, once per real backend (bwrap; docker marked ``docker``)."""
    monkeypatch.setenv("ARENA_HOME", str(arena_home))
    return BundleGrader(sandbox.name)


@pytest.fixture
def grade_bwrap(
    bwrap_sandbox: Sandbox, arena_home: Path, monkeypatch: pytest.MonkeyPatch
) -> BundleGrader:
    monkeypatch.setenv("ARENA_HOME", str(arena_home))
    return BundleGrader("bwrap")
