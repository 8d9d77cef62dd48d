"""Sandbox backends behind one interface: `get_sandbox(name).run(SandboxSpec(...))`."""

from grader.sandbox.base import (
    PYTHON_PLACEHOLDER,
    Limits,
    Mount,
    RunResult,
    Sandbox,
    SandboxProcess,
    SandboxSpec,
    get_sandbox,
)
from grader.sandbox.environment import SANDBOX_USER, grant_sandbox_access

__all__ = [
    "PYTHON_PLACEHOLDER",
    "SANDBOX_USER",
    "Limits",
    "Mount",
    "RunResult",
    "Sandbox",
    "SandboxProcess",
    "SandboxSpec",
    "get_sandbox",
    "grant_sandbox_access",
]
