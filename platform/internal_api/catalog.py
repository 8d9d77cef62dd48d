"""What grading one submission needs, each piece named by its SHA-256, and where the web keeps it.

The catalog (format 1) is what a worker reads first:
``{"format", "submission", "upload": {"sha256", "size", "name"}, "bundle": {"sha256", "dir"},
"hidden": {"slug", "key", "files": {relative: sha256}} | null,
"pretrained": [{"name", "weights": sha256, "metadata": sha256}]}``.
A blob is served only when the submission's catalog names it: the hash is never a path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from submissions.models import Submission
from submissions.storage import stored_upload

from internal_api.bundle_archive import bundle_archive

CATALOG_FORMAT = 1


class InputsUnavailable(Exception):
    """The web service cannot provide an input now (hidden data not built, weights missing)."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    path: Path | None = None  # a file on the web's disk
    data: bytes | None = None  # or bytes made on request (the bundle archive)


@dataclass(frozen=True)
class Catalog:
    document: dict[str, Any]
    blobs: dict[str, Blob]


def grading_catalog(submission: Submission) -> Catalog:
    """Raises StoredUploadCorrupt (the upload's bytes changed) or InputsUnavailable."""
    assignment = submission.assignment
    blobs: dict[str, Blob] = {}
    upload = stored_upload(submission.file.name, submission.sha256)
    blobs[submission.sha256] = Blob(submission.sha256, path=upload)
    archive = bundle_archive(assignment.bundle_path)
    blobs[archive.sha256] = Blob(archive.sha256, data=archive.data)
    hidden, hidden_blobs = _hidden(assignment.bundle_path)
    pretrained, weight_blobs = _pretrained(assignment.bundle_path)
    blobs.update(hidden_blobs)
    blobs.update(weight_blobs)
    document = {
        "format": CATALOG_FORMAT,
        "submission": submission.pk,
        "upload": {
            "sha256": submission.sha256,
            "size": submission.size_bytes,
            "name": submission.original_filename,
        },
        "bundle": {"sha256": archive.sha256, "dir": Path(assignment.bundle_dir).name},
        "hidden": hidden,
        "pretrained": pretrained,
    }
    return Catalog(document, blobs)


def _hidden(bundle_dir: Path) -> tuple[dict[str, Any] | None, dict[str, Blob]]:
    """The web's hidden data of the bundle (built now if missing: idempotent, under a lock)."""
    from arena_datasets.hidden import MANIFEST, HiddenDataError, ensure_hidden, read_manifest

    try:
        folder = ensure_hidden(bundle_dir)
        files: dict[str, str] = dict(read_manifest(folder)["files"])
    except (HiddenDataError, OSError, ValueError) as exc:
        raise InputsUnavailable(
            f"the hidden data of {bundle_dir.name} cannot be built on the web service: {exc}; "
            "run `manage.py build_hidden_data` there"
        ) from exc
    blobs = {sha: Blob(sha, path=folder / relative) for relative, sha in files.items()}
    manifest = folder / MANIFEST
    manifest_sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
    blobs[manifest_sha] = Blob(manifest_sha, path=manifest)
    files[MANIFEST] = manifest_sha
    return {"slug": folder.parent.name, "key": folder.name, "files": files}, blobs


def _pretrained(bundle_dir: Path) -> tuple[list[dict[str, str]], dict[str, Blob]]:
    from grader.bundle import load_bundle
    from grader.errors import GraderError
    from grader.pretrained import recorded_sha256, source_paths

    root = settings.ARENA_HOME / "weights"
    entries, blobs = [], {}
    try:
        for declared in load_bundle(bundle_dir).pretrained:
            weights_sha, metadata = recorded_sha256(declared.name, declared.sha256, root)
            weights, metadata_path = source_paths(declared.name, root)
            metadata_sha = hashlib.sha256(metadata).hexdigest()
            blobs[weights_sha] = Blob(weights_sha, path=weights)
            blobs[metadata_sha] = Blob(metadata_sha, path=metadata_path)
            entries.append(
                {"name": declared.name, "weights": weights_sha, "metadata": metadata_sha}
            )
    except GraderError as exc:
        raise InputsUnavailable(f"on the web service: {exc}") from exc
    return entries, blobs
