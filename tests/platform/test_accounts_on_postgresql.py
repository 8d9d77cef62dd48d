"""The accounts tests again, in-process on the real PostgreSQL (the single-use update of an
invitation, token rows, the permissions query of the mentor role): the platform's other
in-process tests use SQLite, so this runs pytest on those files with ``DATABASE_URL`` pointing
at a database of their own."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from platform_testkit import PLATFORM_TESTS

REPO = PLATFORM_TESTS.parent.parent
FILES = (
    "test_accounts_invitations.py",
    "test_accounts_passwords.py",
    "test_accounts_roles.py",
    "test_accounts_tokens.py",
    "accounts_races_pg.py",  # PostgreSQL only: two requests spend one link at once
)
# pytest-django creates `test_<name>` from it and drops it afterwards.
DATABASE = "arena_accounts"


@pytest.mark.slow
@pytest.mark.services
def test_the_accounts_tests_pass_on_postgresql_with_nothing_skipped() -> None:
    admin = os.environ.get("ARENA_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    env = {**os.environ, "DATABASE_URL": admin.rsplit("/", 1)[0] + f"/{DATABASE}"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "--create-db"]
        + [str(PLATFORM_TESTS / name) for name in FILES],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, summary
