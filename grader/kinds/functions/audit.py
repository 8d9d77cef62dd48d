"""Forbidden operators of "by hand" checks (threat 40): both halves of the audit, applied.

A functions check with ``forbidden_ops`` fails, whatever its values, when the source its
function reaches names a library call that runs one of them (``grader.source_audit``, on this
side), or when the sandbox's dispatch-mode record says one ran during its hidden calls
(``arena_harness.audit``: one flag per name the trusted side sent). The message names the
operator from the bundle's own list: a fixed vocabulary, nothing from the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.bundle import Check
from grader.harness.arena_harness import wire
from grader.report import CheckResult
from grader.source_audit import TAMPERED, audit_checks
from grader.stages.context import PartContext
from grader.stages.session import Session
from grader.vocabulary import AUDIT_TAMPERING

TAMPERING_MESSAGE = AUDIT_TAMPERING  # both sentences are in grader.vocabulary


def recorded(session: Session, checks: Sequence[Check]) -> dict[str, list[str]]:
    """Per audited check, the forbidden operators the sandbox recorded over its calls."""
    used: dict[str, list[str]] = {}
    for check in checks:
        if not check.forbidden_ops:
            continue
        forbidden = list(check.forbidden_ops)
        reply = session.audit(wire.Audit(check.function, tuple(forbidden)), what=check.name)
        flags = session.get(reply, 0, (len(forbidden),))
        used[check.name] = [op for op, flag in zip(forbidden, flags) if flag]
    return used


def enforce(
    ctx: PartContext, results: list[CheckResult], used: dict[str, list[str]]
) -> list[CheckResult]:
    """``results`` (one per check, in the part's order) with every audited violation failed."""
    functions = {c.function: c.forbidden_ops for c in ctx.part.checks if c.forbidden_ops}
    scanned = audit_checks(ctx.submission, ctx.bundle.entry, functions) if functions else {}
    for check, result in zip(ctx.part.checks, results):
        found = scanned.get(check.function, [])
        ops = [op for op in check.forbidden_ops if op in found or op in used.get(check.name, [])]
        if TAMPERED in found:
            fail(result, TAMPERING_MESSAGE)
        elif ops:
            fail(result, forbidden_message(ops))
    return results


def forbidden_message(ops: list[str]) -> str:
    return f"uses {', '.join(ops)}, which this check forbids: write it by hand (see the statement)"


def fail(result: CheckResult, message: str) -> None:
    result.passed, result.points, result.message = False, 0.0, message
