"""What a part kind is to the rest of the grader: one ``Kind`` record per kind folder.

A kind owns its ``[[parts]]`` keys and their validation (``read``), the metrics its reports
carry (``metrics``), the words the portal uses for what earns points (``rules``) and its
grading. The grading is named (``grade_path``), not imported: loading a bundle (the web
process, ``seed_course``) must not load the grading code; ``grade`` imports it on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from grader.manifest import Part, Reader

if TYPE_CHECKING:  # the grading side's types; importing them here would load the grading
    from grader.stages.context import PartContext, PartResult


@dataclass(frozen=True)
class Metric:
    """A metric a part of this kind reports, under its own name (``cnn/accuracy`` is ``accuracy``
    of the part ``cnn``). ``visibility``: who may read it and when (``grader.metric_info``);
    timing-derived ones (steered by the sandbox) are ``after_deadline`` or ``mentor``.
    ``format``: one of ``grader.metric_info.FORMATS``."""

    name: str
    label: str
    unit: str = ""
    format: str = "decimal"
    visibility: str = "public"


@dataclass(frozen=True)
class Rule:
    """One line of "How it is scored": what earns ``points``, in words for mentees."""

    what: str
    points: float


@dataclass(frozen=True)
class Kind:
    name: str  # the ``kind`` of a ``[[parts]]`` table
    # Reads a ``[[parts]]`` table of this kind: (reader, table, name, where) -> the Part, with
    # every key validated; keys the kind does not own are an error.
    read: Callable[[Reader, dict[str, Any], str, str], Part]
    # "module:function" of the grading: (PartContext) -> PartResult, raising only StageFailure.
    grade_path: str
    rules: Callable[[Part], list[Rule]]
    metrics: tuple[Metric, ...] = ()
    # The metric names of a part that earn points (its scoring metric, throughput with speed).
    scored_metrics: Callable[[Part], list[str]] = field(default=lambda part: [])

    def grade(self, ctx: PartContext) -> PartResult:
        module, _, function = self.grade_path.partition(":")
        grade_part: Callable[[PartContext], PartResult] = getattr(
            importlib.import_module(module), function
        )
        return grade_part(ctx)
