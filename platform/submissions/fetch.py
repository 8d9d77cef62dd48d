"""The inputs of one grading on a worker: where they are, fetched first when they are remote.

On the web's machine (``make run``, one host) the worker reads the stored upload, the bundle
folder and ``ARENA_HOME``'s hidden data and weights as they are. A worker on another machine
(``ARENA_INTERNAL_URL`` set) shares no disk with the web service: it asks the internal API for
the submission's catalog (``internal_api.catalog``) and fetches each piece by SHA-256 into
``ARENA_HOME/cache`` (``blob_cache``), then lays them out where the grader reads them. It never
builds hidden data itself (that would need the deployment secret): the grader gets the web's
folder with ``--hidden-data``.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import requests
from django.conf import settings

from submissions.blob_cache import BlobCache, FetchError
from submissions.models import Submission
from submissions.storage import StoredUploadCorrupt, file_sha256, stored_upload

__all__ = ["FetchError", "GradingInputs", "grading_inputs"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_CHUNK = 1 << 20
_TIMEOUT = (5, 120)  # connect, read (s)
CATALOG_FORMAT = 1


@dataclass(frozen=True)
class GradingInputs:
    upload: Path  # holds exactly the submission's sha256
    bundle: Path  # the bundle folder the grader is given
    hidden: Path | None = None  # None: the grader finds (or builds) them under ARENA_HOME

    def grader_arguments(self) -> list[str]:
        return ["--hidden-data", str(self.hidden)] if self.hidden is not None else []


def grading_inputs(submission: Submission) -> GradingInputs:
    if not settings.ARENA_INTERNAL_URL:
        return GradingInputs(
            upload=stored_upload(submission.file.name, submission.sha256),
            bundle=submission.assignment.bundle_path,
        )
    client = InternalClient(settings.ARENA_INTERNAL_URL, settings.ARENA_WORKER_TOKEN)
    return RemoteInputs(client, settings.ARENA_HOME).prepare(submission.pk)


class InternalClient:
    """The web service's internal API (``internal_api``), with the worker token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Worker {token}"

    def catalog(self, submission_id: int) -> dict[str, Any]:
        response = self._get(f"submissions/{submission_id}/inputs/", stream=False)
        try:
            return dict(response.json())
        except ValueError as exc:
            raise FetchError(f"the web service sent a catalog that is not JSON: {exc}") from exc

    def download(self, submission_id: int, sha256: str, sink: Any) -> None:
        with self._get(f"submissions/{submission_id}/blobs/{sha256}/", stream=True) as response:
            try:
                for chunk in response.iter_content(_CHUNK):
                    sink.write(chunk)
            except requests.RequestException as exc:
                raise FetchError(f"the download of {sha256[:12]}... broke off: {exc}") from exc

    def _get(self, path: str, stream: bool) -> requests.Response:
        url = f"{self.base_url}/internal/v1/{path}"
        try:
            response = self.session.get(url, stream=stream, timeout=_TIMEOUT)
        except requests.RequestException as exc:
            raise FetchError(f"the web service at {self.base_url} did not answer: {exc}") from exc
        if response.status_code == 200:
            return response
        detail = _detail(response)
        response.close()
        if response.status_code == 409:
            raise StoredUploadCorrupt(detail)
        if response.status_code == 401:
            detail = "it refused this worker's ARENA_WORKER_TOKEN"
        elif response.status_code == 400:
            detail = f"{detail} (is the host of ARENA_INTERNAL_URL in the web's ALLOWED_HOSTS?)"
        raise FetchError(f"the web service answered {response.status_code} to {url}: {detail}")


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:500]
    except (ValueError, AttributeError):
        return response.text[:200]


class RemoteInputs:
    """Fetches a submission's catalog and lays its blobs out under ``ARENA_HOME/cache``."""

    def __init__(self, client: InternalClient, home: Path) -> None:
        self.client = client
        self.home = home
        self.cache = BlobCache(home / "cache" / "blobs")

    def prepare(self, submission_id: int) -> GradingInputs:
        catalog = _checked_catalog(self.client.catalog(submission_id), submission_id)

        def blob(sha256: str, what: str) -> Path:
            return self.cache.ensure(
                sha256, lambda sink: self.client.download(submission_id, sha256, sink), what
            )

        upload = blob(catalog["upload"]["sha256"], f"the upload of submission {submission_id}")
        bundle = self._bundle(blob(catalog["bundle"]["sha256"], "the bundle"), catalog["bundle"])
        for entry in catalog["pretrained"]:
            self._weights(entry, blob)
        hidden = catalog["hidden"]
        folder = self._hidden(hidden, blob) if hidden is not None else None
        return GradingInputs(upload=upload, bundle=bundle, hidden=folder)

    def _bundle(self, archive: Path, entry: dict[str, str]) -> Path:
        """``cache/bundles/<sha256>/<dir>``, unpacked once from the verified archive."""
        root = self.home / "cache" / "bundles"
        target = root / entry["sha256"]
        if not (target / entry["dir"]).is_dir():
            root.mkdir(parents=True, exist_ok=True)
            draft = Path(tempfile.mkdtemp(prefix=f".{entry['sha256'][:16]}.", dir=root))
            with tarfile.open(archive) as tar:
                # The data filter refuses links, devices and paths leaving the folder.
                tar.extractall(draft / entry["dir"], filter="data")
            _place_folder(draft, target)
            os.chmod(target, 0o755)  # the sandbox user reads the bundle's files
        return target / entry["dir"]

    def _weights(self, entry: dict[str, str], blob: Any) -> None:
        """``ARENA_HOME/weights/<name>.*``, where the grader reads (and re-verifies) them."""
        folder = self.home / "weights"
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, key in ((".safetensors", "weights"), (".json", "metadata")):
            source = blob(entry[key], f"the {entry['name']}{suffix} backbone file")
            _replace_file(folder / f"{entry['name']}{suffix}", source, entry[key])

    def _hidden(self, hidden: dict[str, Any], blob: Any) -> Path:
        """``cache/hidden/<slug>/<key>``: the web's folder, file by file, checked on each use."""
        target = self.home / "cache" / "hidden" / hidden["slug"] / hidden["key"]
        files: dict[str, str] = hidden["files"]
        sources = {rel: blob(sha, f"hidden data file {rel}") for rel, sha in files.items()}
        if target.is_dir() and _folder_matches(target, files):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = Path(tempfile.mkdtemp(prefix=f".{hidden['key']}.", dir=target.parent))
        for relative, source in sources.items():
            path = draft / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(source, path)
        if target.exists():  # damaged on this disk: set aside, then replaced whole
            stale = Path(tempfile.mkdtemp(prefix=".stale.", dir=target.parent))
            os.replace(target, stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        _place_folder(draft, target)
        return target


class _Malformed(Exception):
    pass


def _require(condition: object) -> None:
    if not condition:
        raise _Malformed


def _checked_catalog(raw: dict[str, Any], submission_id: int) -> dict[str, Any]:
    """The web is trusted, but a malformed catalog must fail here, not write outside cache/."""
    try:
        _require(raw["format"] == CATALOG_FORMAT and raw["submission"] == submission_id)
        _require(_SHA256.fullmatch(raw["upload"]["sha256"]))
        _require(_SHA256.fullmatch(raw["bundle"]["sha256"]))
        _require(_NAME.fullmatch(raw["bundle"]["dir"]))
        for entry in raw["pretrained"]:
            _require(_NAME.fullmatch(entry["name"]))
            _require(_SHA256.fullmatch(entry["weights"]) and _SHA256.fullmatch(entry["metadata"]))
        hidden = raw["hidden"]
        if hidden is not None:
            _require(_NAME.fullmatch(hidden["slug"]) and _NAME.fullmatch(hidden["key"]))
            for relative, sha in hidden["files"].items():
                _require(_SHA256.fullmatch(sha) and _safe_relative(relative))
    except (_Malformed, KeyError, TypeError, AttributeError) as exc:
        raise FetchError(f"the web service sent a malformed catalog for {submission_id}") from exc
    return raw


def _safe_relative(relative: str) -> bool:
    path = PurePosixPath(relative)
    return bool(relative) and not path.is_absolute() and ".." not in path.parts


def _folder_matches(folder: Path, files: dict[str, str]) -> bool:
    return all(
        (folder / rel).is_file() and file_sha256(folder / rel) == sha for rel, sha in files.items()
    )


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _replace_file(target: Path, source: Path, sha256: str) -> None:
    if target.is_file() and file_sha256(target) == sha256:
        return
    fd, draft = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, draft)
        os.chmod(draft, 0o644)
        os.replace(draft, target)
    finally:
        Path(draft).unlink(missing_ok=True)


def _place_folder(draft: Path, target: Path) -> None:
    """Renames a complete folder into place; another worker process that won keeps its own."""
    try:
        os.rename(draft, target)
    except OSError:
        if not target.is_dir():
            shutil.rmtree(draft, ignore_errors=True)
            raise
        shutil.rmtree(draft, ignore_errors=True)
