"""Which metrics a bundle's reports carry and which earn points, from its parts' kinds.

A report's metric keys are the part's own names (``accuracy``) and, in a bundle of several
parts, also ``<part>/<name>``; ``grader.grading`` merges them so. The platform stores the
declaration at seed time (``Assignment.metric_info``) for pages that show an assignment before
any report exists; a report's own ``metric_info`` stays the word for that report.
"""

from __future__ import annotations

from grader.kinds import KINDS
from grader.manifest import Bundle


def scored_keys(bundle: Bundle) -> set[str]:
    """The metric keys that earn points: each part's scored metrics (its scoring metric, and
    throughput when speed earns points), under the part's prefix and as the top-level copy."""
    keys: set[str] = set()
    for part in bundle.parts:
        names = KINDS[part.kind].scored_metrics(part)
        keys.update(names)
        keys.update(f"{part.name}/{name}" for name in names)
    return keys


def scored_names(bundle: Bundle) -> list[str]:
    """The scored metric names in the bundle's part order, each once (``accuracy``, ...)."""
    names: list[str] = []
    for part in bundle.parts:
        names += [n for n in KINDS[part.kind].scored_metrics(part) if n not in names]
    return names


def declared_keys(bundle: Bundle) -> list[str]:
    """Every metric key a scored report of this bundle may carry (before any private split)."""
    keys: list[str] = []
    several = len(bundle.parts) > 1
    for part in bundle.parts:
        for metric in KINDS[part.kind].metrics:
            if metric.name not in keys:
                keys.append(metric.name)
            if several:
                keys.append(f"{part.name}/{metric.name}")
    return keys
