"""The week 4 chart: the reference architectures' accuracy against compute, with the mentees'
scored submissions placed on it. Drawn by ``reference_models.plotting.plot_comparison``.

The chart is rendered once per distinct content (reference results + mentees' points) into a
PNG under ``ARENA_HOME/cache/portal/`` and served from there. ``reference_models`` imports torch,
so it is imported only when a chart has to be drawn, never on ordinary page views.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from courses.models import Assignment, Week
from courses.roles import AnyUser
from django.conf import settings
from leaderboards.services import leaderboard

_POINT_KEYS = ("accuracy", "macs", "params")
# The reference chart's families (``reference_models.registry.family_of``), matched by the
# start of a part's model name: "train_resnet18" -> "resnet", "train_vgg16" -> "vgg".
_FAMILIES = ("alexnet", "vgg", "resnet", "googlenet", "mobilenet", "simple_cnn")


@dataclass(frozen=True)
class MenteePoint:
    label: str
    family: str
    accuracy: float
    macs: int
    params: int


def reference_results() -> Path:
    """The reference bubbles, found without importing the package: the families trained under
    the week 4 grader's own budget (``reference_models/results/week4_budget.json``, written by
    ``bench/week4_recipe_spread.py``), else the reference models' own comparison
    (``comparison.json``, ``python -m reference_models compare``: another budget)."""
    configured = getattr(settings, "ARENA_COMPARISON_RESULTS", None)
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec("reference_models")
    if spec is None or spec.origin is None:
        return Path(os.devnull)
    results = Path(spec.origin).parent / "results"
    grader_budget = results / "week4_budget.json"
    return grader_budget if grader_budget.is_file() else results / "comparison.json"


def reference_budget() -> str:
    """What the reference bubbles were trained under, in words, for the page ('' unknown)."""
    try:
        found = json.loads(reference_results().read_text())
    except (OSError, ValueError):
        return ""
    budget = found.get("budget") if isinstance(found, dict) else None
    if isinstance(budget, str):
        return budget[:300]
    seconds = found.get("budget_s") if isinstance(found, dict) else None
    return f"{seconds:g} s of training each" if isinstance(seconds, (int, float)) else ""


def chart_available(week: Week) -> bool:
    """The week's bundle asks for the chart (``comparison_chart``) and the comparison ran."""
    return week.comparison_chart and reference_results().is_file()


def mentee_points(week: Week, viewer: AnyUser) -> list[MenteePoint]:
    """Each mentee's best public entry on the week's assignments, read from its metrics:
    either flat (``accuracy``, ``macs``, ``params``) or one nested dict per family."""
    points: list[MenteePoint] = []
    for assignment in Assignment.objects.visible_to(viewer).filter(week=week):
        for row in leaderboard(assignment, private=False, viewer=viewer) or []:
            points.extend(_points_from_metrics(row["user"], row["metrics"]))
    return points


def _points_from_metrics(user: str, metrics: dict[str, Any]) -> list[MenteePoint]:
    """Points from a report's metrics. The grader writes a multi-part report's metrics as
    ``"<part>/<metric>"`` keys (week 4: ``train_resnet18/accuracy``, ``.../macs``, ...), one
    point per part that has all three; its flat top-level copy is then not counted twice."""
    per_part = _per_part_points(user, metrics)
    if per_part:
        return per_part
    found = []
    if _has_point(metrics):
        family = metrics.get("family")
        found.append(_point(user, family if isinstance(family, str) else "submission", metrics))
    for family, nested in metrics.items():
        if isinstance(nested, dict) and _has_point(nested):
            found.append(_point(f"{user}: {family}", family, nested))
    return found


def _per_part_points(user: str, metrics: dict[str, Any]) -> list[MenteePoint]:
    parts: dict[str, dict[str, Any]] = {}
    for key, value in metrics.items():
        if isinstance(key, str) and key.count("/") == 1:
            part, metric = key.split("/")
            parts.setdefault(part, {})[metric] = value
    found = []
    for part, values in sorted(parts.items()):
        if _has_point(values):
            model = part.removeprefix("train_")
            family = next((f for f in _FAMILIES if model.startswith(f)), model)
            found.append(_point(f"{user}: {model}", family, values))
    return found


def _has_point(metrics: dict[str, Any]) -> bool:
    return all(isinstance(metrics.get(key), int | float) for key in _POINT_KEYS) and (
        metrics["macs"] > 0
    )


def _point(label: str, family: str, metrics: dict[str, Any]) -> MenteePoint:
    return MenteePoint(
        label=label,
        family=family,
        accuracy=float(metrics["accuracy"]),
        macs=int(metrics["macs"]),
        params=int(metrics["params"]),
    )


def chart_png(week: Week, viewer: AnyUser) -> Path:
    """The cached chart for what this viewer may see; drawn on the first request for it."""
    results = reference_results()
    points = mentee_points(week, viewer)
    digest = hashlib.sha256(results.read_bytes())
    digest.update(json.dumps([asdict(p) for p in points], sort_keys=True).encode())
    cached = settings.ARENA_HOME / "cache" / "portal" / f"comparison-{digest.hexdigest()[:32]}.png"
    if not cached.is_file():
        _draw(results, points, cached)
    return cached


def _draw(results: Path, points: list[MenteePoint], out: Path) -> None:
    from reference_models.compare import load_points
    from reference_models.plotting import ComparisonPoint, plot_comparison

    reference = load_points(results)
    mine = [ComparisonPoint(**asdict(p)) for p in points]
    out.parent.mkdir(parents=True, exist_ok=True)
    # Drawn aside and renamed: two web workers drawing the same chart never serve half a file.
    draft = out.with_name(f".{out.stem}.{os.getpid()}.png")
    if mine:
        title = "Mentees' architectures over the references"
        plot_comparison(mine, draft, reference=reference, title=title)
    else:
        plot_comparison(reference, draft, title="Reference architectures, one training budget")
    draft.replace(out)
    # Charts of earlier results are never asked for again: keep the cache to the current one.
    for stale in out.parent.glob("comparison-*.png"):
        if stale != out:
            stale.unlink(missing_ok=True)
