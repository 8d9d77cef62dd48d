"""Reads an assignment bundle's manifest (``assignment.toml``) into what the platform stores.

Validation is the grader's (``grader.bundle``, a light module: no scoring, no torch).
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.dateparse import parse_datetime

from grader.bundle import load_bundle
from grader.errors import GraderError

MANIFEST = "assignment.toml"


class BundleError(ValueError):
    """A bundle's manifest is missing or malformed; the message names the file and the field."""


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
    parts: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)


def discover_bundles(root: Path) -> list[Path]:
    """Every folder directly under ``root`` holding an ``assignment.toml``, in name order."""
    if not root.is_dir():
        raise BundleError(f"The assignments folder {root} does not exist.")
    return sorted(p.parent for p in root.glob(f"*/{MANIFEST}"))


def load_manifest(directory: Path) -> BundleManifest:
    """The grader validates the bundle (every mistake named by file and key); the platform keeps
    the catalogue fields and the parts as plain JSON for the portal."""
    try:
        bundle = load_bundle(directory)
    except GraderError as exc:
        raise BundleError(str(exc)) from exc
    path = directory / MANIFEST
    parts = [dict(part) for part in tomllib.loads(path.read_text(encoding="utf-8"))["parts"]]
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
        parts=parts,
        metrics=_metric_names(parts),
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


def _metric_names(parts: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for part in parts:
        metric = part.get("scoring", {}).get("metric")
        if metric and metric not in names:
            names.append(metric)
        if part.get("scoring", {}).get("speed_points") and "throughput_ips" not in names:
            names.append("throughput_ips")
    return names
