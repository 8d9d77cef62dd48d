"""The request limits against the real gunicorn and Redis: an oversized upload is refused on
its headers (the body is never sent), and login counters are shared: they survive a restart of
the web process and fall back to the database while Redis is down."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fault_kit import OwnRedis
from platform_testkit import SMOKE_SLUG
from stack import ApiUser, Stack, drop_postgres_database

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.timeout(300)]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path / "redis")
    own.start()
    yield own
    own.stop()


@pytest.fixture
def stack(tmp_path: Path, broker: OwnRedis) -> Iterator[Stack]:
    stack = Stack(home=tmp_path, services=True, broker_url=broker.url)
    stack.prepare()
    stack.env["ARENA_LOGIN_MAX_FAILURES_PER_USER"] = "3"
    try:
        stack.start_web()
        yield stack
    finally:
        stack.stop()
        drop_postgres_database()


def restart_web(stack: Stack) -> None:
    assert stack.web is not None
    os.killpg(stack.web.pid, signal.SIGTERM)
    stack.web.wait(timeout=30)
    stack.start_web()


def test_an_oversized_upload_is_refused_before_its_body_is_sent(stack: Stack) -> None:
    token = ApiUser(stack, "mentee1", "mentee-demo").headers["Authorization"]
    head = (
        f"POST /api/v1/assignments/{SMOKE_SLUG}/submissions/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {token}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {500 * 2**20}\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", stack.port), timeout=20) as connection:
        connection.sendall(head.encode() + b"--xyz\r\n")  # 500 MB announced, 7 bytes sent
        answer = connection.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert time.monotonic() - started < 10


def failed_login(stack: Stack) -> int:
    return requests.post(
        f"{stack.url}/api/v1/auth/token/",
        json={"username": "mentee1", "password": "wrong"},
        headers={"X-Forwarded-For": f"10.1.{time.monotonic_ns() % 250}.1"},
        timeout=20,
    ).status_code


def test_login_limits_survive_a_web_restart_and_a_redis_outage(
    stack: Stack, broker: OwnRedis
) -> None:
    assert [failed_login(stack) for _ in range(4)] == [400, 400, 400, 429]
    restart_web(stack)  # per-process counters would start again from zero here
    assert failed_login(stack) == 429
    portal = requests.post(
        f"{stack.url}/accounts/login/",
        data={"username": "mentee1", "password": "mentee-demo"},
        allow_redirects=False,
        timeout=20,
    )
    assert portal.status_code == 429

    broker.stop()  # the database takes over: logins still answer, and still stop guessing
    assert [failed_login(stack) for _ in range(4)] == [400, 400, 400, 429]
