"""Assignment bundles: ``assignments/<slug>/assignment.toml`` read into a validated ``Bundle``.

This module reads the common frame (slug, week, submission, limits, data, backbones) and hands
each ``[[parts]]`` table to its kind (``grader.kinds.KINDS[kind].read``), which owns that
table's keys. The records are ``grader.manifest``'s; they are named here too because loading a
bundle is where callers meet them. Every mistake is a ``BundleError`` naming file and key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from grader.kinds import KINDS
from grader.manifest import (
    Budget,
    Bundle,
    BundleError,
    Check,
    DataSpec,
    OutputSpec,
    Part,
    Pretrained,
    Reader,
    Scoring,
    Timing,
)
from grader.sandbox.runtime import OPTIONAL_DISTRIBUTIONS
from grader.settings import assignments_root

__all__ = [
    "Budget",
    "Bundle",
    "BundleError",
    "Check",
    "DataSpec",
    "OutputSpec",
    "Part",
    "Pretrained",
    "Scoring",
    "Timing",
    "list_bundles",
    "load_bundle",
    "resolve_bundle_dir",
]

TOP_LEVEL_KEYS = frozenset(
    {
        "slug",
        "week",
        "title",
        "kind",
        "gpu",
        "public",
        "daily_quota",
        "max_selected",
        "opens_at",
        "deadline",
        "pretrained",
        "runtime_packages",
        "submission",
        "limits",
        "data",
        "parts",
        "week_title",
        "comparison_chart",
    }
)
SUBMISSION_KEYS = frozenset({"entry", "max_upload_mb", "import_seconds"})
DATA_KEYS = frozenset({"recipe", "version", "seed"})
LIMIT_KEYS = (
    "wall_seconds",
    "cpu_seconds",
    "memory_mb",
    "pids",
    "scratch_mb",
    "shm_mb",
    "output_bytes",
    "file_size_mb",
    "open_files",
)
# Names of pretrained backbones: the stem of ``var/weights/<name>.safetensors``.
PRETRAINED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def resolve_bundle_dir(slug_or_dir: str | Path) -> Path:
    candidate = Path(slug_or_dir)
    if (candidate / "assignment.toml").is_file():
        return candidate.resolve()
    by_slug = assignments_root() / str(slug_or_dir)
    if (
        isinstance(slug_or_dir, str)
        and "/" not in slug_or_dir
        and (by_slug / "assignment.toml").is_file()
    ):
        return by_slug
    raise BundleError(f"no assignment bundle named {str(slug_or_dir)!r} (looked in {by_slug})")


def load_bundle(slug_or_dir: str | Path) -> Bundle:
    root = resolve_bundle_dir(slug_or_dir)
    path = root / "assignment.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BundleError(f"{path}: cannot read: {exc}") from exc
    return _FrameReader(path, root).bundle(raw)


def list_bundles(root: Path | None = None) -> list[Bundle]:
    """Every valid bundle under ``root`` (default: the assignments folder), by week then slug."""
    base = root or assignments_root()
    if not base.is_dir():
        return []
    bundles = [load_bundle(d) for d in sorted(base.iterdir()) if (d / "assignment.toml").is_file()]
    return sorted(bundles, key=lambda b: (b.week, b.slug))


class _FrameReader(Reader):
    """The keys every bundle has, whatever its parts' kinds."""

    def bundle(self, raw: dict) -> Bundle:
        self.only(raw, TOP_LEVEL_KEYS, "top level")
        slug = self.get(raw, "slug", str, "top level")
        if slug != self.root.name:
            raise self.fail("slug", f"{slug!r} must equal the folder name {self.root.name!r}")
        submission = self.get(raw, "submission", dict, "top level", {})
        self.only(submission, SUBMISSION_KEYS, "[submission]")
        raw_parts = self.get(raw, "parts", list, "top level")
        if not raw_parts:
            raise self.fail("parts", "a bundle needs at least one [[parts]]")
        parts = tuple(self.part(p, i) for i, p in enumerate(raw_parts))
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise self.fail("parts", f"part names must be unique, got {names}")
        bundle = Bundle(
            root=self.root,
            slug=slug,
            week=self.get(raw, "week", int, "top level"),
            title=self.get(raw, "title", str, "top level"),
            kind=self.get(raw, "kind", str, "top level", parts[0].kind),
            entry=self.get(submission, "entry", str, "[submission]", "submission.py"),
            max_upload_mb=self.get(submission, "max_upload_mb", float, "[submission]", 50.0),
            import_seconds=self.positive(submission, "import_seconds", "[submission]", 60.0),
            limits=self.limits(self.get(raw, "limits", dict, "top level", {})),
            data=self.data(self.get(raw, "data", dict, "top level", {})),
            parts=parts,
            gpu=self.get(raw, "gpu", bool, "top level", False),
            public=self.get(raw, "public", bool, "top level", True),
            daily_quota=self.get(raw, "daily_quota", int, "top level", 20),
            max_selected=self.get(raw, "max_selected", int, "top level", 2),
            opens_at=self.get(raw, "opens_at", str, "top level", None),
            deadline=self.get(raw, "deadline", str, "top level", None),
            pretrained=self.pretrained(raw),
            runtime_packages=self.runtime_packages(raw),
            week_title=self.get(raw, "week_title", str, "top level", ""),
            comparison_chart=self.get(raw, "comparison_chart", bool, "top level", False),
        )
        self.validate_totals(bundle)
        self.validate_pretrained(bundle)
        return bundle

    def validate_totals(self, bundle: Bundle) -> None:
        if bundle.kind not in KINDS:
            raise self.fail("kind", f"{bundle.kind!r} is not one of {tuple(KINDS)}")
        if not bundle.entry.endswith(".py") or "/" in bundle.entry or bundle.entry.startswith("."):
            raise self.fail("[submission] entry", f"{bundle.entry!r} must be a top-level .py file")
        if abs(bundle.max_points - 100.0) > 1e-6:
            raise self.fail("points", f"the parts' points sum to {bundle.max_points:g}, not 100")

    def runtime_packages(self, raw: dict) -> tuple[str, ...]:
        """``runtime_packages = ["torchvision"]``: names from the sandbox's optional list."""
        items = self.get(raw, "runtime_packages", list, "top level", [])
        for item in items:
            if not isinstance(item, str) or item not in OPTIONAL_DISTRIBUTIONS:
                raise self.fail(
                    "runtime_packages", f"{item!r} is not one of {sorted(OPTIONAL_DISTRIBUTIONS)}"
                )
        return tuple(dict.fromkeys(items))

    def pretrained(self, raw: dict) -> tuple[Pretrained, ...]:
        """``pretrained = ["name", ...]`` or ``[{ name = "...", sha256 = "<64 hex>" }, ...]``."""
        where = "pretrained"
        items = self.get(raw, "pretrained", list, "top level", [])
        entries: list[Pretrained] = []
        for i, item in enumerate(items):
            at = f"{where}[{i}]"
            if isinstance(item, str):
                entry = Pretrained(item)
            elif isinstance(item, dict):
                self.only(item, {"name", "sha256"}, at)
                entry = Pretrained(
                    self.get(item, "name", str, at), self.get(item, "sha256", str, at, "").lower()
                )
            else:
                raise self.fail(at, f"must be a backbone name or {{name, sha256}}, got {item!r}")
            if not PRETRAINED_NAME.fullmatch(entry.name) or ".." in entry.name:
                raise self.fail(
                    at,
                    f"{entry.name!r} is not a backbone name (the stem of "
                    "var/weights/<name>.safetensors: letters, digits, _ . -)",
                )
            if entry.sha256 and not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
                raise self.fail(at, "sha256 must be 64 hexadecimal digits")
            entries.append(entry)
        names = [e.name for e in entries]
        if len(set(names)) != len(names):
            raise self.fail(where, f"backbone names must be unique, got {names}")
        return tuple(entries)

    def validate_pretrained(self, bundle: Bundle) -> None:
        for i, part in enumerate(bundle.parts):
            if not part.weights_strict and not bundle.pretrained:
                raise self.fail(
                    f"[[parts]] #{i + 1}",
                    "weights_strict = false lets an upload omit tensors loaded from a pretrained "
                    "backbone, but the bundle declares none (top-level pretrained = [...])",
                )

    def limits(self, raw: dict) -> dict[str, float]:
        self.only(raw, set(LIMIT_KEYS), "[limits]")
        limits = {k: self.get(raw, k, float, "[limits]") for k in raw}
        for key, value in limits.items():
            if value <= 0:
                raise self.fail("[limits]", f"{key} must be positive")
        return limits

    def data(self, raw: dict) -> DataSpec:
        self.only(raw, DATA_KEYS, "[data]")
        spec = DataSpec(
            recipe=self.get(raw, "recipe", str, "[data]", "recipe.py"),
            version=self.get(raw, "version", int, "[data]", 1),
            seed=self.get(raw, "seed", int, "[data]", 0),
        )
        if not (self.root / spec.recipe).is_file():
            raise self.fail("[data] recipe", f"{spec.recipe!r} does not exist in the bundle")
        return spec

    def part(self, raw: object, index: int) -> Part:
        where = f"[[parts]] #{index + 1}"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        kind = self.get(raw, "kind", str, where)
        if kind not in KINDS:
            raise self.fail(where, f"kind {kind!r} is not one of {tuple(KINDS)}")
        name = self.get(raw, "name", str, where)
        if not name.replace("-", "_").isidentifier():
            raise self.fail(where, f"name {name!r} must be a simple word (letters, digits, _ -)")
        return KINDS[kind].read(self, raw, name, where)
