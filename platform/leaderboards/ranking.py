"""The order of a board: points first, then the raw scored metrics, then the earlier submission.

Points are capped (a competition's full marks are reached by every model past ``metric_full``),
so two entries with equal points are ordered by the raw value of each scored metric in the
bundle's order (the competition's accuracy, then its throughput), and only then by who
submitted first (issue 12: a saturated scale must not rank by submission time). The values are
read from the stored report on the trusted side; a board shows a viewer only what
``submissions.visibility`` allows, whatever was used to order it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from submissions.models import Submission

from leaderboards.columns import private_key

Score = Callable[[Submission], float | None]


def raw_value(submission: Submission, key: str) -> float:
    value = submission.metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return -math.inf  # a missing value ranks below any measured one
    return float(value)


def rank_key(
    submission: Submission, score: float, ranked: Sequence[str], private: bool
) -> tuple[Any, ...]:
    """Smaller sorts first: higher points, higher raw metrics, earlier, lower id."""
    keys = [private_key(k) for k in ranked] if private else list(ranked)
    raw = tuple(-raw_value(submission, key) for key in keys)
    return (-score, *raw, submission.created_at, submission.pk)


def best(
    submissions: list[Submission], score: Score, ranked: Sequence[str], private: bool
) -> tuple[Submission, float] | None:
    """The submission that ranks highest by ``rank_key`` and its points; None if none scores."""
    scored = [(s, points) for s in submissions if (points := score(s)) is not None]
    if not scored:
        return None
    return min(scored, key=lambda pair: rank_key(pair[0], pair[1], ranked, private))
