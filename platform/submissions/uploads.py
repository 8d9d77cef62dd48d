"""Checks made the moment a file arrives: size and format. Deeper checks (archive safety,
syntax) belong to the grader, which runs them in the sandbox and answers ``rejected``."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from courses.late_policy import UploadClosed, UploadWindow, upload_window
from courses.models import Assignment, LateMark
from courses.roles import AnyUser, is_mentor

if TYPE_CHECKING:
    from submissions.models import Submission

ALLOWED_EXTENSIONS = (".py", ".zip", ".ipynb")
IN_FLIGHT_STATUSES = ("queued", "running")
_CHUNK = 1024 * 1024


class SubmissionRefused(Exception):
    """The upload cannot be accepted; ``message`` tells the mentee why, in one sentence.
    ``http_status``: 429 for an exhausted quota, 503 when the server could not store it, 400
    for a bad file."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class CheckedUpload:
    sha256: str
    size: int
    extension: str


def check_upload(stream: IO[bytes], filename: str, size: int, max_bytes: int) -> CheckedUpload:
    extension = PurePath(filename).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise SubmissionRefused(
            f"{filename!r} is not a .py, .zip or .ipynb file; upload one of those."
        )
    if size > max_bytes:
        raise SubmissionRefused(
            f"The file is {size / 2**20:.1f} MB; this assignment accepts at most "
            f"{max_bytes / 2**20:.0f} MB."
        )
    if size == 0:
        raise SubmissionRefused("The file is empty.")
    _check_format(stream, extension)
    return CheckedUpload(sha256=_sha256(stream), size=size, extension=extension)


def _check_format(stream: IO[bytes], extension: str) -> None:
    stream.seek(0)
    if extension == ".zip" and not zipfile.is_zipfile(stream):
        raise SubmissionRefused("The file ends in .zip but is not a zip archive.")
    if extension == ".py":
        try:
            stream.read().decode("utf-8")
        except UnicodeDecodeError:
            raise SubmissionRefused("The .py file is not UTF-8 text.") from None
    if extension == ".ipynb":
        try:
            notebook = json.loads(stream.read())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SubmissionRefused(
                "The .ipynb file is not a Jupyter notebook (invalid JSON)."
            ) from None
        if not isinstance(notebook, dict) or "cells" not in notebook:
            raise SubmissionRefused("The .ipynb file is not a Jupyter notebook (no cells).")
    stream.seek(0)


def _sha256(stream: IO[bytes]) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def check_schedule(user: AnyUser, assignment: Assignment) -> UploadWindow:
    """Opening date, publish state and the mentee's deadline (with their extension) by the
    server clock; a late upload the policy accepts comes back with its ``days_late``."""
    try:
        return upload_window(assignment, user)
    except UploadClosed as closed:
        raise SubmissionRefused(closed.message) from None


def check_in_flight(user: AnyUser, assignment: Assignment) -> None:
    """Call with the mentee's row locked (as the quota is checked), so two uploads at once
    cannot both pass."""
    from submissions.models import Submission

    if is_mentor(user):
        return
    # A run a mentor is rejudging (judging 2 and up) is not the mentee's upload in flight.
    running = Submission.objects.filter(
        owner_id=user.pk, assignment=assignment, status__in=IN_FLIGHT_STATUSES, judging=1
    ).count()
    if running >= assignment.max_in_flight:
        raise SubmissionRefused(
            f"You already have {running} submission{'s' if running != 1 else ''} of "
            f"{assignment.title} queued or running (at most {assignment.max_in_flight} at once); "
            "upload again when one has finished.",
            http_status=429,
        )


def record_lateness(submission: Submission, window: UploadWindow) -> None:
    """Stores the days late counted at upload (inside the transaction creating the row)."""
    if window.days_late and window.deadline is not None:
        LateMark.objects.create(
            submission=submission, days_late=window.days_late, deadline=window.deadline
        )
