"""Reads an assignment bundle into what the platform stores.

The grader loads and validates the bundle (``grader.bundle``: every mistake named by file and
key) and says what to store of it (``grader.catalogue``: the normalised parts with every
default filled in, the portal's words, the metric declarations): the platform reads no TOML
and keeps no default of its own. Loading a bundle loads no grading code.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.dateparse import parse_datetime

from grader.bundle import load_bundle
from grader.bundle_metrics import scored_names
from grader.catalogue import metric_declarations, part_records
from grader.manifest import BundleError

MANIFEST = "assignment.toml"
__all__ = ["BundleError", "BundleManifest", "bundle_hash", "discover_bundles", "load_manifest"]


@dataclass(frozen=True)
class BundleManifest:
    directory: Path
    slug: str
    week: int
    title: str
    kind: str
    statement: str
    content_hash: str
    gpu: bool = False
    public: bool = True
    daily_quota: int = 20
    max_selected: int = 2
    max_upload_mb: int = 50
    opens_at: datetime | None = None
    deadline: datetime | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    parts: list[dict[str, Any]] = field(default_factory=list)  # grader.catalogue.part_record
    metrics: list[str] = field(default_factory=list)  # the scored metric names
    metric_info: dict[str, dict[str, object]] = field(default_factory=dict)
    week_title: str = ""
    comparison_chart: bool = False


def discover_bundles(root: Path) -> list[Path]:
    """Every folder directly under ``root`` holding an ``assignment.toml``, in name order."""
    if not root.is_dir():
        raise BundleError(f"The assignments folder {root} does not exist.")
    return sorted(p.parent for p in root.glob(f"*/{MANIFEST}"))


def load_manifest(directory: Path) -> BundleManifest:
    """The bundle as the grader validated and normalised it (a ``BundleError`` names the file
    and the key of any mistake)."""
    bundle = load_bundle(directory)
    path = directory / MANIFEST
    return BundleManifest(
        directory=bundle.root,
        slug=bundle.slug,
        week=bundle.week,
        title=bundle.title,
        kind=bundle.kind,
        statement=_read_statement(directory),
        content_hash=bundle_hash(directory),
        gpu=bundle.gpu,
        public=bundle.public,
        daily_quota=bundle.daily_quota,
        max_selected=bundle.max_selected,
        max_upload_mb=max(1, math.ceil(bundle.max_upload_mb)),
        opens_at=_datetime(bundle.opens_at, "opens_at", path),
        deadline=_datetime(bundle.deadline, "deadline", path),
        limits=dict(bundle.limits),
        parts=part_records(bundle),
        metrics=scored_names(bundle),
        metric_info=metric_declarations(bundle),
        week_title=bundle.week_title,
        comparison_chart=bundle.comparison_chart,
    )


def bundle_hash(directory: Path) -> str:
    """sha256 over the manifest, the statement and the recipe: changes when the bundle does."""
    digest = hashlib.sha256()
    for name in (MANIFEST, "README.md", "recipe.py"):
        path = directory / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _datetime(value: object, key: str, path: Path) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value).replace("Z", "+00:00"))
    if parsed is None:
        raise BundleError(f"{path}: `{key}` is not an ISO 8601 date-time: {value!r}.")
    return parsed


def _read_statement(directory: Path) -> str:
    readme = directory / "README.md"
    return readme.read_text(encoding="utf-8") if readme.is_file() else ""
