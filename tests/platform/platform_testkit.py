"""Constants and helpers shared by the platform tests.

They live here, not in conftest.py, because every test area has a conftest.py and
`from platform_testkit import ...` picks whichever was imported first when the whole suite runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PLATFORM_TESTS = Path(__file__).resolve().parent
BUNDLES = PLATFORM_TESTS / "bundles"
UPLOADS = PLATFORM_TESTS / "uploads"
SMOKE_SLUG = "platform-smoke"
REFERENCE_SOLUTION = BUNDLES / SMOKE_SLUG / "solution" / "submission.py"


def make_submission(owner, assignment, **fields):  # type: ignore[no-untyped-def]
    """A stored submission row with a real file, as `create_submission` leaves it."""
    from django.core.files.base import ContentFile
    from submissions.models import Submission

    content = REFERENCE_SOLUTION.read_bytes()
    submission = Submission(
        owner=owner,
        assignment=assignment,
        sha256=hashlib.sha256(content).hexdigest(),
        original_filename="submission.py",
        size_bytes=len(content),
        **fields,
    )
    submission.file.save("submission.py", ContentFile(content), save=False)
    submission.save()
    return submission
