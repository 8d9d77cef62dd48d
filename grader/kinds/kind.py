"""What a part kind is to the rest of the grader: one ``Kind`` record per kind folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grader.stages.context import PartContext, PartResult


@dataclass(frozen=True)
class Kind:
    name: str  # the ``kind`` of a ``[[parts]]`` table
    # Grades one part of this kind end to end: its sandboxed stages, then its checks and
    # metrics, decided on the trusted side. Raises only ``StageFailure`` for a failed stage.
    grade: Callable[[PartContext], PartResult]
