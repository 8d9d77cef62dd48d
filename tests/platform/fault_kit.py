"""Fault injection for the platform's fault tests: a Redis of the test's own that can be
stopped and restarted, and direct reads of the stack's PostgreSQL rows."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import redis
from stack import Stack, free_port, wait_until


class OwnRedis:
    """A redis-server on a port of its own: stopping it is a broker outage for this stack only
    (the shared 6379 keeps serving everyone else)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=(self.folder / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, 20, "redis-server to answer")

    def stop(self) -> None:
        """Like a crashed broker: whatever it held is gone (no persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False


def rows(stack: Stack, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()
