"""The grader's exceptions.

`GraderError` is the one base exception for failures of the grader or its infrastructure (the
report says `error`); each instance says whether a retry can help. `IntakeRejected` is not a
grader failure: the mentee's upload itself is invalid (the report says `rejected`).
"""

from __future__ import annotations

__all__ = ["INTAKE_KINDS", "GraderError", "IntakeRejected", "SandboxUnavailable"]


class GraderError(Exception):
    """A failure of the grader or its infrastructure, never of the mentee's code."""

    permanent: bool

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # False: the same job may succeed later (engine restarting, cgroup busy, disk full).
        self.permanent = permanent


class SandboxUnavailable(GraderError):
    """The requested sandbox backend cannot start on this machine (the reason is in words)."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message, permanent=permanent)


INTAKE_KINDS = frozenset(
    {
        "invalid_archive",
        "too_large",
        "syntax",
        "unsupported_format",
        "too_many_files",
        "zip_bomb",
        "missing_entry",
    }
)


class IntakeRejected(Exception):
    """The upload is invalid; `message` is one plain sentence the mentee can act on."""

    kind: str
    message: str

    def __init__(self, kind: str, message: str) -> None:
        if kind not in INTAKE_KINDS:
            raise ValueError(f"unknown intake rejection kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
