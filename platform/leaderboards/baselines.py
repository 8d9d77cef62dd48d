"""The baseline row: each bundle's reference solution, graded like any submission.

``grade_baselines`` (run by ``make run`` after seeding) zips the bundle's ``solution/`` folder
and submits it through the normal pipeline (queue, worker, sandbox, report) as the system
baseline user, so the row shows what the reference really scores on this deployment's hidden
data, with this grader. The baseline user cannot log in (inactive, no usable password, a
username no sign-up form accepts), takes no quota (no upload check runs for it), is not a
mentee (``dashboard.queries.mentees`` lists active users only) and never ranks: boards show its
entry apart, marked as the baseline. Running it again grades anew only what changed (the
solution's files or the bundle); a baseline that broke on our side (``error``) is rejudged.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from pathlib import Path

from courses.models import Assignment
from courses.roles import AnyUser
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from submissions.models import Status, Submission
from submissions.queue import enqueue_grading

from leaderboards.models import Baseline

log = logging.getLogger(__name__)

# The colon is outside Django's username alphabet: no invitation or sign-up can take this name.
BASELINE_USERNAME = "arena:baseline"
BASELINE_LABEL = "Baseline (reference solution)"
SOLUTION_FOLDER = "solution"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entries' dates: the same files give the same sha256


def baseline_user() -> AnyUser:
    user, created = get_user_model().objects.get_or_create(
        username=BASELINE_USERNAME, defaults={"is_active": False, "first_name": "Baseline"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_baseline_user(user: AnyUser) -> bool:
    return getattr(user, "username", None) == BASELINE_USERNAME


def solution_archive(folder: Path) -> bytes:
    """The folder as a zip, byte for byte the same for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), _FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def grade_baseline(assignment: Assignment, *, force: bool = False) -> tuple[str, Submission | None]:
    """Submits the reference solution of ``assignment`` unless the standing baseline already
    graded these files under this bundle. Returns what was done and the baseline submission:
    ``("submitted" | "rejudged" | "unchanged" | "no solution", submission or None)``."""
    folder = assignment.bundle_path / SOLUTION_FOLDER
    if not folder.is_dir():
        return "no solution", None
    content = solution_archive(folder)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        current = (
            Baseline.objects.filter(assignment=assignment).select_related("submission").first()
        )
        same = (
            current is not None
            and current.submission.sha256 == digest
            and current.bundle_hash == assignment.bundle_hash
        )
        if same and not force:
            assert current is not None
            if current.submission.status == Status.ERROR:
                from submissions.services import rejudge

                rejudge(current.submission)
                return "rejudged", current.submission
            return "unchanged", current.submission
        submission = _submit(assignment, content, digest)
        Baseline.objects.update_or_create(
            assignment=assignment,
            defaults={"submission": submission, "bundle_hash": assignment.bundle_hash},
        )
    log.info("baseline of %s submitted as #%s", assignment.slug, submission.pk)
    return "submitted", submission


def _submit(assignment: Assignment, content: bytes, digest: str) -> Submission:
    now = timezone.now()
    submission = Submission(
        assignment=assignment,
        owner=baseline_user(),
        sha256=digest,
        original_filename="solution.zip",
        size_bytes=len(content),
    )
    if hasattr(submission, "quota_exempt"):
        submission.quota_exempt = True
    if hasattr(submission, "queued_at"):
        submission.queued_at = now
    submission.enqueued_at = now
    submission.file.save("solution.zip", ContentFile(content), save=False)
    submission.save()
    enqueue_grading(submission)
    return submission


def baseline_submission(assignment: Assignment) -> Submission | None:
    """The standing baseline submission of the assignment, whatever its state."""
    found = Baseline.objects.filter(assignment=assignment).select_related("submission").first()
    return found.submission if found is not None else None
