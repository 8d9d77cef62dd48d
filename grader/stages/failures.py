"""Turning what went wrong in a stage into a report status, an error kind and one sentence.

Hidden-stage messages never carry anything the submission chose (its exception text, the
shape it returned, its own words on the channel): those could smuggle hidden inputs into a
report the mentee reads (threat 20). Public-stage messages may.

Whatever status code the harness replies with, the verdict is ``failed`` (threat 39): the
harness runs in the submission's process, so a reply claiming a syntax error or a grader bug
is the submission's word. Only the trusted side decides ``rejected`` (intake parses the
source itself) and ``error`` (a sandbox that would not start, a broken bundle, a missing
backbone).
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.harness.arena_harness import wire
from grader.protocol import (
    ChannelClosed,
    ChannelError,
    DtypeMismatch,
    NonFinite,
    ProtocolViolation,
    QueryTimeout,
    ShapeMismatch,
)


class StageFailure(Exception):
    """Ends a part: ``status`` and ``kind`` go to the report as they are."""

    def __init__(self, status: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class _Verdict:
    status: str
    kind: str
    sentence: str


_BY_STATUS = {
    wire.INTERFACE: _Verdict(
        "failed", "interface", "the submission does not define what the assignment asks for"
    ),
    wire.EXCEPTION: _Verdict("failed", "exception", "the submission's code raised an exception"),
    wire.WEIGHTS: _Verdict(
        "failed", "weights", "the weights file is missing or does not fit the model"
    ),
    wire.BAD_OUTPUT: _Verdict(
        "failed", "interface", "a result is not a tensor, an array or a number"
    ),
    wire.OUTPUT_TOO_LARGE: _Verdict(
        "failed", "output_limit", "the results are larger than the assignment's outputs"
    ),
    # Intake already parsed the source on the trusted side: a harness that says "syntax" now
    # hit a compile-time error ast.parse lets through, or is lying; either way the code failed.
    wire.SYNTAX: _Verdict("failed", "exception", "the entry module could not be compiled"),
    wire.UNSAFE_WEIGHTS: _Verdict(
        "failed",
        "forbidden",
        "the weights file holds a pickled Python object; save a state_dict or use safetensors",
    ),
    # A grader bug would show in every grading of the reference; a reply saying so from inside
    # the submission's process is tampering, never a refunded ``error``.
    wire.BAD_REQUEST: _Verdict(
        "failed",
        "protocol",
        "the harness refused the grader's request (the channel was tampered with)",
    ),
    wire.BUDGET: _Verdict("failed", "timeout", "training ran over its time budget"),
}


def from_reply(status: int, message: str, *, hidden: bool, what: str) -> StageFailure:
    verdict = _BY_STATUS[status]
    text = f"{what}: {verdict.sentence}"
    if not hidden and message:
        text += f" ({message})"
    return StageFailure(verdict.status, verdict.kind, text + ".")


def from_channel(exc: ChannelError, *, hidden: bool, what: str) -> StageFailure:
    if isinstance(exc, ShapeMismatch):
        detail = "" if hidden else f": {exc}"
        want = list(exc.want)
        return StageFailure(
            "failed", "shape", f"{what}: an output has the wrong shape (expected {want}){detail}."
        )
    if isinstance(exc, DtypeMismatch):
        detail = f": {exc}" if not hidden else ""
        return StageFailure(
            "failed",
            "protocol",
            f"{what}: an output has a dtype the assignment does not accept{detail}.",
        )
    if isinstance(exc, NonFinite):
        return StageFailure("failed", "nan_output", f"{what}: an output holds NaN or infinity.")
    if isinstance(exc, QueryTimeout):
        return StageFailure("failed", "timeout", f"{what}: no answer before the deadline.")
    if isinstance(exc, ProtocolViolation):
        return StageFailure(
            "failed", "protocol", f"{what}: the submission interfered with the grader's channel."
        )
    assert isinstance(exc, ChannelClosed)
    return StageFailure("failed", "crash", f"{what}: the submission's process ended unexpectedly.")
