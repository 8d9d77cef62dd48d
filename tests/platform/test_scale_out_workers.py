"""Workers on other machines share no disk with the web service: two Celery workers, each with
an ARENA_HOME of its own and no bundles, grade from one web service (gunicorn) over its internal
API, on real PostgreSQL and Redis. Each fetches the uploads, the bundle and the web's hidden data
by SHA-256 into its own cache; neither builds hidden data nor reads the web's uploads folder."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG
from stack import REPO, ApiUser, Stack, drop_postgres_database, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.services, pytest.mark.timeout(600)]

QUEUES = "cpu,cpu-long,gpu"


def start_remote_worker(stack: Stack, home: Path, token: str) -> subprocess.Popen[bytes]:
    """A worker that knows only the database, the broker and the web service's URL."""
    home.mkdir(parents=True)
    (home / "no-bundles").mkdir()
    env = dict(
        stack.env,
        HOME=str(home),
        ARENA_HOME=str(home),
        ARENA_ASSIGNMENTS=str(home / "no-bundles"),
        ARENA_INTERNAL_URL=stack.url,
        ARENA_WORKER_TOKEN=token,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "arena_site", "worker", "-Q", QUEUES,
         "--concurrency", "1", "--loglevel", "INFO", "--hostname", f"{home.name}@%h"],
        cwd=REPO,
        env=env,
        stdout=(stack.home / f"worker-{home.name}.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.workers.append(worker)
    return worker


def cached_blobs(home: Path) -> set[str]:
    return {path.name for path in (home / "cache" / "blobs").rglob("*") if path.is_file()}


def test_two_workers_with_their_own_homes_grade_from_one_web_service(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(40)
    stack = Stack(home=tmp_path / "web", services=True)
    stack.home.mkdir()
    homes = [tmp_path / "worker-a", tmp_path / "worker-b"]
    try:
        stack.prepare()
        stack.env["ARENA_WORKER_TOKEN"] = token
        stack.start_web()
        stack.start_dispatcher()
        for home in homes:
            start_remote_worker(stack, home, token)
        for home in homes:
            log = stack.home / f"worker-{home.name}.log"
            wait_until(lambda log=log: "ready" in log.read_text(), 120, f"{log.name} ready")

        uploads = {}
        for number, user in enumerate(["mentee1", "mentee1", "mentee2", "mentee2"]):
            upload = tmp_path / f"submission{number}.py"
            upload.write_bytes(REFERENCE_SOLUTION.read_bytes() + f"\n# variant {number}\n".encode())
            client = ApiUser(stack, user, "mentee-demo")
            uploads[client.submit(SMOKE_SLUG, upload, name="submission.py")] = (client, upload)
        for submission_id, (client, _) in uploads.items():
            final = client.wait_final(submission_id, seconds=240)
            assert (final["status"], final["score"]) == ("scored", 100.0), final

        shas = {hashlib.sha256(upload.read_bytes()).hexdigest() for _, upload in uploads.values()}
        graded_by = [cached_blobs(home) & shas for home in homes]
        assert all(graded_by), f"one worker graded nothing: {graded_by}"
        assert graded_by[0] | graded_by[1] == shas
        (web_hidden,) = [
            p for p in (stack.home / "hidden" / SMOKE_SLUG).iterdir() if not p.name.startswith(".")
        ]
        for home in homes:
            # The web's hidden data, by its key; nothing built, no secret, no uploads folder.
            assert (home / "cache" / "hidden" / SMOKE_SLUG / web_hidden.name / "manifest.json").is_file()
            assert not (home / "hidden").exists() and not (home / "secret").exists()
            assert not (home / "uploads").exists()
            assert os.listdir(home / "no-bundles") == []
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()
        drop_postgres_database()
