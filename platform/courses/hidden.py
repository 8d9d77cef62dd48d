"""Builds each bundle's hidden data (via arena_datasets) and records where it lives."""

from __future__ import annotations

from pathlib import Path

from courses.models import Assignment, HiddenDataset


def build_hidden(assignment: Assignment) -> HiddenDataset:
    from arena_datasets.hidden import ensure_hidden

    path: Path = ensure_hidden(assignment.bundle_path)
    dataset, _ = HiddenDataset.objects.get_or_create(
        assignment=assignment, content_hash=path.name, defaults={"path": str(path)}
    )
    return dataset
