"""A real platform for end-to-end tests: migrated database, gunicorn and a Celery worker,
each a separate process group, on either the embedded defaults or PostgreSQL + Redis."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
BUNDLES = Path(__file__).resolve().parent / "bundles"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# One per test process: two runs at once never drop each other's database.
POSTGRES_E2E_DB = f"arena_e2e_{os.getpid()}"
REDIS_URL = "redis://127.0.0.1:6379/15"
FINAL = {"scored", "failed", "error", "rejected"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres_database() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_E2E_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {POSTGRES_E2E_DB}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{POSTGRES_E2E_DB}"


def drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_E2E_DB} WITH (FORCE)")


def empty_redis() -> str:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@dataclass
class Stack:
    home: Path
    services: bool  # PostgreSQL + Redis instead of SQLite + the filesystem broker
    sandbox: str = "bwrap"
    lease_s: int = 4
    port: int = field(default_factory=free_port)
    broker_url: str | None = None  # services: a Redis of the test's own instead of the shared one
    env: dict[str, str] = field(default_factory=dict)
    web: subprocess.Popen[bytes] | None = None
    dispatcher: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PYTHONPATH": f"{REPO}:{REPO / 'platform'}",
            "DJANGO_SETTINGS_MODULE": "arena_site.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ARENA_HOME": str(self.home),
            "ARENA_ASSIGNMENTS": str(BUNDLES),
            "ARENA_SANDBOX": self.sandbox,
            "ARENA_DEMO": "1",
            "ARENA_SECURE_COOKIES": "0",
            "ARENA_GRADING_LEASE": str(self.lease_s),
            "ARENA_RETRY_BACKOFF": "1",
            "ARENA_GRADING_TIMEOUT": "300",
        }
        if self.services:
            self.env["DATABASE_URL"] = fresh_postgres_database()
            self.env["ARENA_BROKER_URL"] = self.broker_url or empty_redis()
        for command in (["migrate", "-v", "0"], ["seed_course"], ["create_demo_users"]):
            self.manage(*command)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(REPO / "platform" / "manage.py"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"manage.py {args} failed:\n{result.stderr}"
        return result.stdout

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.home / f"{name}.log").open("ab")
        # A session of its own: the test can kill the process and all it started at once.
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        self.web = self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "arena_site.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--no-control-socket",
            ],
        )
        wait_until(
            lambda: _answers(f"{self.url}/api/v1/assignments/"), 60, "the web server to answer"
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn(
            f"worker{len(self.workers)}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "arena_site",
                "worker",
                "-Q",
                "cpu,cpu-long,gpu",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
            ],
        )
        self.workers.append(worker)
        return worker

    def start_dispatcher(self) -> None:
        """The outbox dispatcher `make run` starts beside the worker (sends, re-queues)."""
        self.dispatcher = self._spawn(
            "dispatcher", [sys.executable, str(REPO / "platform" / "manage.py"), "run_dispatcher"]
        )

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the worker and everything it started, as when a machine is lost."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.workers, self.web, self.dispatcher]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, self.web, self.dispatcher]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-6000:]}"
            for path in sorted(self.home.glob("*.log"))
        )


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.3)


@contextmanager
def running_stack(home: Path, services: bool, **options: Any) -> Iterator[Stack]:
    stack = Stack(home=home, services=services, **options)
    try:
        stack.prepare()
        stack.start_web()
        stack.start_dispatcher()
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()
        if services:
            drop_postgres_database()


class ApiUser:
    """A logged-in REST client (the same calls the `arena` client makes)."""

    def __init__(self, stack: Stack, username: str, password: str) -> None:
        self.base = f"{stack.url}/api/v1"
        response = requests.post(
            f"{self.base}/auth/token/",
            json={"username": username, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Token {response.json()['token']}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}/{path}", headers=self.headers, timeout=10)

    def submit(self, slug: str, path: Path, name: str | None = None) -> int:
        with path.open("rb") as handle:
            response = requests.post(
                f"{self.base}/assignments/{slug}/submissions/",
                headers=self.headers,
                files={"file": (name or path.name, handle)},
                timeout=30,
            )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def wait_final(self, submission_id: int, seconds: float = 180) -> dict[str, Any]:
        result: dict[str, Any] = {}

        def finished() -> bool:
            result.update(self.get(f"submissions/{submission_id}/").json())
            return result["status"] in FINAL

        wait_until(finished, seconds, f"submission {submission_id} to be graded")
        return result

    def wait_status(self, submission_id: int, status: str, seconds: float = 60) -> None:
        wait_until(
            lambda: self.get(f"submissions/{submission_id}/").json()["status"] == status,
            seconds,
            f"submission {submission_id} to be {status}",
        )
