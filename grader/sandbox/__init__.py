"""Sandbox backends behind one interface: `get_sandbox(name).run(SandboxSpec(...))`."""

from grader.sandbox.base import (
    PYTHON_PLACEHOLDER,
    Limits,
    Mount,
    RunResult,
    Sandbox,
    SandboxProcess,
    SandboxSpec,
    SpareProcess,
)
from grader.sandbox.environment import SANDBOX_USER, grant_sandbox_access
from grader.sandbox.registry import get_sandbox

__all__ = [
    "PYTHON_PLACEHOLDER",
    "SANDBOX_USER",
    "Limits",
    "Mount",
    "RunResult",
    "Sandbox",
    "SandboxProcess",
    "SandboxSpec",
    "SpareProcess",
    "get_sandbox",
    "grant_sandbox_access",
]
