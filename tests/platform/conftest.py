"""Shared fixtures of the platform tests: Django settings, personas, the smoke bundle.

Django is configured here rather than in pyproject.toml: the other test areas do not use it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import django
import pytest
from platform_testkit import BUNDLES, PLATFORM_TESTS, make_submission  # noqa: F401

# The fixture bundles hold mentee-side tests (public_tests/) that are not ours to run.
collect_ignore = ["bundles"]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena_site.settings")
# A key for this test run only (settings refuse to start without one outside demo mode).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# Each test has its own ARENA_HOME, so a warm grader (submissions/warm_grader.py) started after
# one test's last grading could never serve the next: off here, on in test_warm_grader.py.
os.environ.setdefault("ARENA_WARM_GRADER", "0")
# pytest-django configured itself before this file was read; the test modules import models.
django.setup()


@pytest.fixture(autouse=True)
def _isolated_platform_files(settings, tmp_path: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Uploads go to a temporary folder; bundles come from tests/platform/bundles."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.ARENA_UPLOADS_DIR = tmp_path / "uploads"
    settings.ARENA_HOME = tmp_path
    settings.ARENA_ASSIGNMENTS = BUNDLES
    # Hashing a password with the production hasher takes a good part of a second per persona.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    from submissions.warm_grader import warm_grader

    warm_grader().discard()  # none outlives the test that started it


@pytest.fixture
def mentor(db):  # type: ignore[no-untyped-def]
    from courses.roles import MENTORS_GROUP
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("mira", password="mentor-pass-1")
    user.groups.add(Group.objects.get_or_create(name=MENTORS_GROUP)[0])
    return user


@pytest.fixture
def mentee_a(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_user("alice", password="alice-pass-1")


@pytest.fixture
def mentee_b(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_user("bob", password="bob-pass-1")


@pytest.fixture
def assignment(db):  # type: ignore[no-untyped-def]
    """The smoke bundle, loaded the way `manage.py seed_course` loads it."""
    from courses.services import seed_course

    (loaded,) = seed_course(BUNDLES)
    return loaded


@pytest.fixture
def hidden_assignment(assignment):  # type: ignore[no-untyped-def]
    """A second assignment that is not public (anonymous visitors must not see it)."""
    from courses.models import Assignment

    return Assignment.objects.create(
        week=assignment.week,
        slug="members-only",
        title="Members only",
        kind="functions",
        bundle_dir=assignment.bundle_dir,
        public=False,
    )


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """Keeps each phase's report on the test item (`item.rep_call`), so a fixture can tell at
    teardown that its test failed (the browser test then saves a screenshot)."""
    outcome = yield
    setattr(item, f"rep_{call.when}", outcome.get_result())
