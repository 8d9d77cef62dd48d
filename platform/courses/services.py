"""Loading the course from its bundles, and building the starter download."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses.bundles import BundleManifest, discover_bundles, load_manifest
from courses.models import Assignment, Course, Week
from grader.bundle import load_bundle
from grader.errors import GraderError

COURSE_SLUG = "deep-dive-cnns"
COURSE_TITLE = "A Deep Dive into CNNs"


def default_course() -> Course:
    course, _ = Course.objects.get_or_create(slug=COURSE_SLUG, defaults={"title": COURSE_TITLE})
    return course


def seed_course(root: Path | None = None) -> list[Assignment]:
    """Creates or updates one assignment per bundle. Safe to run at every start: the bundle
    gives the schedule only to a new assignment; afterwards what mentors set on the platform
    (opening, deadline, quotas, publish state, reveal) is theirs and is never overwritten."""
    root = root or settings.ARENA_ASSIGNMENTS
    manifests = [load_manifest(directory) for directory in discover_bundles(root)]
    with transaction.atomic():
        course = default_course()
        weeks = _sync_weeks(course, manifests)
        return [_upsert_assignment(weeks[m.week], m, root) for m in manifests]


def _sync_weeks(course: Course, manifests: list[BundleManifest]) -> dict[int, Week]:
    """The weeks the bundles name, with the words their bundles give (``week_title``; the
    first bundle of a week that sets one) and the comparison chart if any bundle asks."""
    weeks: dict[int, Week] = {}
    for number in sorted({m.week for m in manifests}):
        of_week = [m for m in manifests if m.week == number]
        title = next((m.week_title for m in of_week if m.week_title), "")
        week, _ = Week.objects.get_or_create(
            course=course, number=number, defaults={"title": title or f"Week {number}"}
        )
        chart = any(m.comparison_chart for m in of_week)
        if (title and week.title != title) or week.comparison_chart != chart:
            week.title = title or week.title
            week.comparison_chart = chart
            week.save(update_fields=["title", "comparison_chart"])
        weeks[number] = week
    return weeks


def _upsert_assignment(week: Week, manifest: BundleManifest, root: Path) -> Assignment:
    catalogue = _catalogue_fields(manifest, root) | {"week": week}
    assignment = Assignment.objects.select_for_update().filter(slug=manifest.slug).first()
    if assignment is None:
        return Assignment.objects.create(
            slug=manifest.slug, **catalogue, **_schedule_defaults(manifest)
        )
    if assignment.bundle_hash and assignment.bundle_hash != manifest.content_hash:
        # Reports graded by the old bundle stand until a mentor decides to rejudge them.
        assignment.bundle_update_pending = True
        assignment.bundle_updated_at = timezone.now()
    for name, value in catalogue.items():
        setattr(assignment, name, value)
    assignment.save()
    return assignment


def _catalogue_fields(manifest: BundleManifest, root: Path) -> dict[str, Any]:
    """What the bundle owns for its whole life: what is graded and how it is described."""
    return {
        "title": manifest.title,
        "kind": manifest.kind,
        "statement": manifest.statement,
        "bundle_dir": str(manifest.directory.relative_to(root)),
        "bundle_hash": manifest.content_hash,
        "max_upload_mb": manifest.max_upload_mb,
        "limits": manifest.limits,
        "parts": manifest.parts,
        "metrics": manifest.metrics,
        "metric_info": manifest.metric_info,
        "gpu": manifest.gpu,
    }


def _schedule_defaults(manifest: BundleManifest) -> dict[str, Any]:
    """The bundle's suggestions for how the course runs; mentors own them once created."""
    return {
        "opens_at": manifest.opens_at,
        "deadline": manifest.deadline,
        "daily_quota": manifest.daily_quota,
        "max_selected": manifest.max_selected,
        "public": manifest.public,
    }


def starter_zip(assignment: Assignment) -> bytes:
    """The bundle's ``starter/`` (and ``public_tests/``) as a zip under ``<slug>/``.

    Only these two folders are read: ``solution/``, ``wrong/`` and the recipe never leave.
    Weights files are left out: pretrained backbones are large and the same for everyone (the
    statement says how to get them; ``pretrained_resources`` lists them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_tree(archive, assignment.bundle_path / "starter", assignment.slug)
        _add_tree(
            archive, assignment.bundle_path / "public_tests", f"{assignment.slug}/public_tests"
        )
    return buffer.getvalue()


def _add_tree(archive: zipfile.ZipFile, folder: Path, prefix: str) -> None:
    if not folder.is_dir() or folder.is_symlink():
        return
    for path in sorted(folder.rglob("*")):
        # Regular files only: a symlink in a bundle must not pull in files from elsewhere.
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            if path.suffix.lower() in WEIGHTS_SUFFIXES:
                continue
            archive.write(path, f"{prefix}/{path.relative_to(folder)}")


WEIGHTS_SUFFIXES = (".safetensors", ".pt", ".pth", ".ckpt")


def pretrained_resources(assignment: Assignment) -> list[dict[str, Any]]:
    """The pretrained backbones the bundle declares (mounted read-only when grading): name,
    SHA-256 and size from ``ARENA_HOME/weights`` (null while a mentor has not fetched them)."""
    try:
        declared = load_bundle(assignment.bundle_path).pretrained
    except GraderError:
        return []
    weights = settings.ARENA_HOME / "weights"
    resources = []
    for entry in declared:
        sha256, size = entry.sha256 or None, None
        try:
            meta = json.loads((weights / f"{entry.name}.json").read_text(encoding="utf-8"))
            sha256 = sha256 or str(meta["file_sha256"])
            size = (weights / entry.filename).stat().st_size
        except (OSError, ValueError, KeyError, TypeError):
            pass
        resources.append(
            {
                "name": entry.name,
                "file": entry.filename,
                "sandbox_path": f"/arena/pretrained/{entry.filename}",
                "sha256": sha256,
                "size_bytes": size,
            }
        )
    return resources
