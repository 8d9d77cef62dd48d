"""Choosing a sandbox backend by name."""

from __future__ import annotations

from grader.errors import SandboxUnavailable
from grader.sandbox.base import Sandbox

__all__ = ["BACKEND_NAMES", "get_sandbox", "select_sandbox"]

BACKEND_NAMES = ("auto", "docker", "bwrap", "none")


def _backend(name: str) -> type[Sandbox]:
    # Imported lazily: the docker SDK is only loaded when the docker backend is considered.
    if name == "bwrap":
        from grader.sandbox.bwrap import BwrapSandbox

        return BwrapSandbox
    if name == "docker":
        from grader.sandbox.docker_engine import DockerSandbox

        return DockerSandbox
    from grader.sandbox.unsafe import UnsafeSandbox

    return UnsafeSandbox


def select_sandbox(name: str = "auto") -> Sandbox:
    """The backend `name`; "auto": docker if the engine answers and has the runner image, else
    bwrap. "none" (no isolation at all) is only ever returned when asked for by name."""
    if name not in BACKEND_NAMES:
        raise SandboxUnavailable(
            f"unknown sandbox {name!r}; choose one of {', '.join(BACKEND_NAMES)}"
        )
    if name != "auto":
        backend = _backend(name)
        problem = backend.available()
        if problem:
            raise SandboxUnavailable(f"the {name} sandbox cannot run here: {problem}")
        return backend()
    reasons = []
    for candidate in ("docker", "bwrap"):
        backend = _backend(candidate)
        problem = backend.available()
        if problem is None:
            return backend()
        reasons.append(f"{candidate}: {problem}")
    raise SandboxUnavailable(
        "no sandbox is available, so submissions cannot be graded safely ("
        + "; ".join(reasons)
        + "). Set ARENA_SANDBOX=none only on a development machine you do not mind exposing."
    )


def get_sandbox(name: str = "auto") -> Sandbox:
    """The backend called `name`; "auto" picks docker, else bwrap, and never "none"."""
    return select_sandbox(name)
