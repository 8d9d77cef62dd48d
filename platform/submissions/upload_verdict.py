"""Verdicts decided at upload: what the trusted side can tell without running the mentee's code.

The grader's own intake (``grader.intake.unpack_submission``) runs here in the web request:
format, size, archive safety (path traversal, links, zip bombs, compiled code), the entry
module, and the syntax of every source (parsed in the grader's memory- and time-capped child
process, never in this one). Its answer is the worker's answer, so a syntax error or a
hostile zip is ``rejected`` within the request instead of after a queue. Anything else (a
full disk, a broken bundle) is not a verdict: the upload is queued and the worker decides.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from courses.models import Assignment
from django.conf import settings

from grader.bundle import load_bundle
from grader.errors import GraderError, IntakeRejected
from grader.intake import unpack_submission

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Rejection:
    kind: str
    message: str


def upload_verdict(assignment: Assignment, stream: IO[bytes], extension: str) -> Rejection | None:
    """A rejection the worker would give this upload, or None (it must be graded)."""
    try:
        entry, max_bytes = _intake_rules(str(assignment.bundle_path), assignment.bundle_hash)
    except (GraderError, OSError, ValueError) as exc:
        log.warning("%s: no upload-time intake (bundle unreadable: %s)", assignment.slug, exc)
        return None
    work_root = settings.ARENA_HOME / "run" / "intake"
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upload-", dir=work_root) as work:
        upload = Path(work) / f"submission{extension}"
        try:
            _copy(stream, upload)
            unpack_submission(
                upload, Path(work) / "unpacked", entry=entry, max_upload_bytes=max_bytes
            )
        except IntakeRejected as rejected:
            return Rejection(rejected.kind, rejected.message)
        except OSError as exc:  # the web's disk, not the mentee's upload: the worker decides
            log.warning("%s: upload-time intake could not run (%s)", assignment.slug, exc)
        finally:
            stream.seek(0)
    return None


@lru_cache(maxsize=64)
def _intake_rules(bundle_path: str, bundle_hash: str) -> tuple[str, int]:
    """The entry module and size cap the grader's intake applies (cached per bundle version)."""
    bundle = load_bundle(Path(bundle_path))
    return bundle.entry, int(bundle.max_upload_mb * 1024 * 1024)


def _copy(stream: IO[bytes], target: Path) -> None:
    stream.seek(0)
    with target.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
