"""End to end with real processes: gunicorn, a Celery worker, the grader in bubblewrap.

Once on PostgreSQL + Redis (the production pair), once on the embedded defaults (SQLite and the
filesystem broker) driven by the `arena` command-line client.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG, UPLOADS
from stack import ApiUser, running_stack

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.timeout(600)]


@pytest.mark.services
def test_it_grades_a_submission_on_postgresql_and_redis(tmp_path: Path) -> None:
    with running_stack(tmp_path, services=True) as stack:
        stack.start_worker()
        alice = ApiUser(stack, "mentee1", "mentee-demo")
        good = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
        broken = alice.submit(SMOKE_SLUG, UPLOADS / "syntax_error.py")

        scored = alice.wait_final(good)
        assert (scored["status"], scored["score"]) == ("scored", 100.0), scored
        assert [c["name"] for c in scored["checks"]] == ["add", "scale"]
        assert scored["finished_at"] and scored["error"] is None
        assert "[public]" in alice.get(f"submissions/{good}/logs/").text

        rejected = alice.wait_final(broken)
        assert rejected["status"] == "rejected" and rejected["score"] is None
        assert rejected["error"]["kind"] == "syntax"
        assert "syntax error" in rejected["error"]["message"]

        board = alice.get(f"assignments/{SMOKE_SLUG}/leaderboard/").json()
        assert [(r["rank"], r["user"], r["submission_id"]) for r in board["public"]] == [
            (1, "mentee1", good)
        ]
        assert board["private"] is None
        bob = ApiUser(stack, "mentee2", "mentee-demo")
        for path in (
            f"submissions/{good}/",
            f"submissions/{good}/logs/",
            f"submissions/{good}/file/",
        ):
            assert bob.get(path).status_code == 404


def traversal_zip(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("submission.py", REFERENCE_SOLUTION.read_text())
        archive.writestr("../escape.py", "print('outside')\n")
    path.write_bytes(buffer.getvalue())
    return path


def test_the_arena_client_drives_the_embedded_platform(tmp_path: Path) -> None:
    arena = Path(sys.executable).parent / "arena"
    assert arena.is_file(), "the `arena` console script is not installed (pip install -e .)"
    with running_stack(tmp_path / "home", services=False) as stack:
        stack.start_worker()
        env = {
            "PATH": os.environ["PATH"],
            "ARENA_URL": stack.url,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "HOME": str(tmp_path),
        }

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(arena), *args], env=env, capture_output=True, text=True, timeout=300, check=False
            )

        login = cli("login", "--username", "mentee1", "--password", "mentee-demo")
        assert login.returncode == 0, login.stderr
        token = tmp_path / "config" / "arena" / "token"
        assert token.stat().st_mode & 0o777 == 0o600

        assert SMOKE_SLUG in cli("assignments").stdout
        good = cli("submit", SMOKE_SLUG, str(REFERENCE_SOLUTION), "--wait")
        assert good.returncode == 0, good.stdout + good.stderr
        assert "scored, score 100.00" in good.stdout

        bad = cli("submit", SMOKE_SLUG, str(traversal_zip(tmp_path / "escape.zip")), "--wait")
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert "rejected" in bad.stdout and "outside the archive" in bad.stdout

        board = cli("leaderboard", SMOKE_SLUG)
        assert board.returncode == 0 and "mentee1" in board.stdout and "100.00" in board.stdout
        assert not (tmp_path / "home" / "escape.py").exists()

        wrong = cli("login", "--username", "mentee1", "--password", "wrong")
        assert wrong.returncode == 2 and "HTTP 400" in wrong.stderr
