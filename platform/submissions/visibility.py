"""Who may read which part of a report: declared once per metric, applied by ``visible_report``.

Every page, API view, CLI answer, board, chart and export reads a report through
``visible_report`` (threat model: hidden data must not flow back to a mentee). A metric's
audience comes from its name, stripped of the ``<part>/`` prefix the grader adds to multi-part
reports, or from a declaration the grader sends in ``metric_info``; what is not known is shown
to mentors only (deny by default), so a new metric the grader starts reporting leaks nothing.

- ``public``: anyone who may see the submission or the board, at any time.
- ``after_deadline``: numbers the sandboxed code can steer (latency, throughput, their spread,
  training seconds): a submission that sleeps by a hidden pixel's
  value would read the hidden set back through them while submissions are open.
- ``after_reveal``: private-split metrics, shown once a mentor reveals the private board.
- ``mentor``: counts of timed queries and images, and everything the platform does not know.

The vocabulary is ``grader.metric_info``'s; a declaration can narrow a known name's audience,
never widen it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from courses.models import Assignment
from courses.roles import AnyUser, is_mentor
from django.utils import timezone

INFRASTRUCTURE_MESSAGE = (
    "Grading failed for a reason that is not your fault; the mentors have been told and will "
    "rejudge it. Your quota is refunded."
)
HELD_MESSAGE = (
    "Held for review: this result is unusually good on public copies of the test images, so a "
    "mentor looks at it before it counts on the leaderboards."
)
TIMING_CHECK_MESSAGE = "the measured throughput is shown after the deadline"
CONFIRMED_MESSAGE = (
    "A mentor reviewed this result and found it relies on the public test images: it does not "
    "count on the leaderboards."
)


class Audience(IntEnum):
    """Ordered from the widest to the narrowest audience: a stricter rule is a larger value."""

    PUBLIC = 0
    AFTER_DEADLINE = 1
    AFTER_REVEAL = 2
    MENTOR = 3


_PUBLIC_NAMES = frozenset(
    {"accuracy", "top5_accuracy", "loc_accuracy", "mean_iou", "params", "macs", "public_score"}
)
_TIMING_PREFIXES = ("latency_", "throughput_", "train_s")
# How many queries/images were timed depends on the model's speed and teaches nothing.
_MENTOR_PREFIXES = ("timed_",)
# Checks whose message quotes a timing metric (``grader.scoring.speed_check``).
_TIMING_CHECKS = frozenset({"speed"})
_DECLARED = {
    "public": Audience.PUBLIC,
    "after_deadline": Audience.AFTER_DEADLINE,
    "after_reveal": Audience.AFTER_REVEAL,
    "mentor": Audience.MENTOR,
}


def base_name(key: str) -> str:
    """``cnn/private_accuracy`` -> ``private_accuracy``: the part prefix does not change a rule."""
    return key.rsplit("/", 1)[-1]


def _by_name(key: str) -> Audience | None:
    name = base_name(key)
    if name.startswith("private"):
        return Audience.AFTER_REVEAL
    if name.startswith(_MENTOR_PREFIXES):
        return Audience.MENTOR
    if name.startswith(_TIMING_PREFIXES) or name.endswith("_cv"):
        return Audience.AFTER_DEADLINE
    if name in _PUBLIC_NAMES:
        return Audience.PUBLIC
    return None


def metric_audience(key: str, declared: Mapping[str, Any] | None = None) -> Audience:
    """The one rule. A name the platform knows as private or timing keeps at least that rule
    whatever a declaration says; an unknown name follows its declaration, else mentors only."""
    by_name = _by_name(key)
    info = (declared or {}).get(key)
    word = info.get("visibility") if isinstance(info, Mapping) else None
    by_declaration = _DECLARED.get(word) if isinstance(word, str) else None
    if by_name is None:
        return by_declaration if by_declaration is not None else Audience.MENTOR
    if by_declaration is None:
        return by_name
    return max(by_name, by_declaration)


@dataclass(frozen=True)
class ViewerRights:
    """What one viewer may read of one assignment's reports right now."""

    mentor: bool
    widest: Audience  # the most restricted audience this viewer is part of now

    def may_see(self, audience: Audience) -> bool:
        return self.mentor or audience <= self.widest


def rights(assignment: Assignment, viewer: AnyUser, now: datetime | None = None) -> ViewerRights:
    if is_mentor(viewer):
        return ViewerRights(mentor=True, widest=Audience.MENTOR)
    now = now or timezone.now()
    widest = Audience.PUBLIC
    if assignment.deadline_passed(now):
        widest = Audience.AFTER_DEADLINE
        if assignment.private_revealed:
            widest = Audience.AFTER_REVEAL
    return ViewerRights(mentor=False, widest=widest)


def visible_metrics(
    metrics: Mapping[str, Any], allowed: ViewerRights, declared: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Metrics the viewer may read; a nested group (per-family metrics) is filtered key by key."""
    shown: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            inner = {
                k: v
                for k, v in value.items()
                if not isinstance(v, Mapping)
                and allowed.may_see(metric_audience(f"{key}/{k}", declared))
            }
            if inner:
                shown[key] = inner
        elif allowed.may_see(metric_audience(key, declared)):
            shown[key] = value
    return shown


def visible_columns(names: list[str], allowed: ViewerRights) -> list[str]:
    """A board's metric columns (the bundle's metric names) the viewer may read."""
    return [name for name in names if allowed.may_see(metric_audience(name))]


def private_split_view(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The private board's metrics: each private-split value under its plain name
    (``cnn/private_accuracy`` -> ``cnn/accuracy``), replacing the public split's value."""
    shown = {k: v for k, v in metrics.items() if k not in ("public_score", "private_score")}
    for key, value in metrics.items():
        name = base_name(key)
        if name.startswith("private_") and key != "private_score":
            plain = key[: len(key) - len(name)] + name.removeprefix("private_")
            shown[plain] = value
            del shown[key]
    return shown


def visible_checks(
    checks: list[dict[str, Any]], status: str, allowed: ViewerRights
) -> list[dict[str, Any]]:
    """A run that did not end ``scored`` shows mentees only checks the grader marked as public
    stage ones: a hidden check's verdict from a run that broke off is not a result, and the run
    may have broken off on purpose to read it back (threat: the sandbox decides its verdict).
    A speed check's message quotes the measured throughput: like the throughput metric, it
    waits for the deadline (its points stay: they are the score)."""
    if allowed.mentor:
        return list(checks)
    shown = checks if status == "scored" else [c for c in checks if c.get("stage") == "public"]
    if allowed.may_see(Audience.AFTER_DEADLINE):
        return list(shown)
    return [_without_timing(check) for check in shown]


def _without_timing(check: dict[str, Any]) -> dict[str, Any]:
    if base_name(str(check.get("name", ""))) not in _TIMING_CHECKS:
        return check
    return {**check, "message": TIMING_CHECK_MESSAGE}


def visible_error(error: dict[str, str] | None, status: str, mentor: bool) -> dict[str, str] | None:
    """Mentees read the grader's plain message, except for our own failures, whose details
    (paths, engine messages) are for mentors only."""
    if error is None or mentor:
        return error
    if status == "error":
        return {"kind": error["kind"], "message": INFRASTRUCTURE_MESSAGE}
    if status in ("queued", "running"):
        return None  # a previous attempt's problem; a new verdict is on its way
    return error


def visible_report(
    report: Mapping[str, Any] | None,
    *,
    assignment: Assignment,
    viewer: AnyUser | None,
    status: str,
    error: dict[str, str] | None = None,
    now: datetime | None = None,
    allowed: ViewerRights | None = None,
) -> dict[str, Any]:
    """The parts of one stored report this viewer may read now: ``metrics``, ``checks``,
    ``logs``, ``error``. Callers decide beforehand whether the viewer may see the submission
    at all (``Submission.can_be_seen_by``); a board passes the entry's report, and the
    viewer's ``rights`` computed once for all its rows (``allowed``) instead of the viewer."""
    report = report or {}
    if allowed is None:
        if viewer is None:
            raise ValueError("visible_report needs the viewer or their rights")
        allowed = rights(assignment, viewer, now)
    metrics = report.get("metrics")
    checks = report.get("checks")
    logs = report.get("logs")
    declared = report.get("metric_info")
    public_cases = report.get("public_cases")
    return {
        "metrics": visible_metrics(
            metrics if isinstance(metrics, Mapping) else {},
            allowed,
            declared if isinstance(declared, Mapping) else None,
        ),
        "checks": visible_checks(checks if isinstance(checks, list) else [], status, allowed),
        "logs": visible_logs(logs if isinstance(logs, str) else "", status, allowed.mentor),
        "error": visible_error(error, status, allowed.mentor),
        # Public cases are not secret (their inputs ship with the statement's tests' kind of
        # data): every viewer of the submission reads their detail; no hidden case is there.
        "public_cases": public_cases if isinstance(public_cases, list) else [],
    }


def visible_logs(logs: str, status: str, mentor: bool) -> str:
    """A run that broke on our side (``error``) may have logged the sandbox's or the
    engine's own words (server paths, setup commands): its logs are for mentors only."""
    if status == "error" and not mentor:
        return ""
    return logs
