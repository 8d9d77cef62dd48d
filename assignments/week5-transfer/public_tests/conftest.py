"""Finds the submission these public tests check.

Order: the ``ARENA_SUBMISSION`` environment variable (a ``submission.py`` or the folder holding
it), then ``submission.py`` in the current directory, then next to this ``public_tests`` folder.
Run from your working folder: ``pytest public_tests``.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ENTRY = "submission.py"


def _submission_path() -> Path:
    configured = os.environ.get("ARENA_SUBMISSION")
    candidates = (
        [Path(configured)] if configured else [Path.cwd(), Path(__file__).resolve().parent.parent]
    )
    for candidate in candidates:
        path = candidate / ENTRY if candidate.is_dir() else candidate
        if path.is_file():
            return path.resolve()
    raise FileNotFoundError(
        f"no {ENTRY} found in {[str(c) for c in candidates]}; "
        "run pytest from your working folder or set ARENA_SUBMISSION"
    )


@pytest.fixture(scope="session")
def submission():
    path = _submission_path()
    sys.path.insert(0, str(path.parent))  # so the submission can import its own helper modules
    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def submission_dir(submission) -> Path:
    return Path(submission.__file__).resolve().parent
