"""The registry of part kinds: each kind is one folder here and one line below.

A kind's folder holds everything about it: ``manifest.py`` (its ``[[parts]]`` keys and their
validation, its metrics, the portal's words for what earns points), ``grade.py`` (its grading)
and the helpers only it uses; its ``__init__.py`` makes the ``Kind``. Loading this registry
loads the manifests only (the web process reads bundles and never grades).
"""

from __future__ import annotations

from grader.kinds import architecture, functions, model, train
from grader.kinds.kind import Kind, Metric, Rule

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        functions.KIND,
        model.KIND,
        train.KIND,
        architecture.KIND,
    )
}
__all__ = ["KINDS", "Kind", "Metric", "Rule", "declared_metrics"]


def declared_metrics() -> dict[str, Metric]:
    """Every metric a kind declares, by name (a name means the same in every kind)."""
    found: dict[str, Metric] = {}
    for kind in KINDS.values():
        for metric in kind.metrics:
            if found.setdefault(metric.name, metric) != metric:
                raise ValueError(f"kinds declare metric {metric.name!r} differently")
    return found
