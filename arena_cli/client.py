"""A small REST client: the server comes from ARENA_URL, the token from the config folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_S = 30


class ArenaError(Exception):
    """The server refused or could not be reached; the message is for the user."""


def server_url() -> str:
    return os.environ.get("ARENA_URL", DEFAULT_URL).rstrip("/")


def token_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "arena" / "token"


def save_token(token: str) -> Path:
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created 0600 from the start: the token is a password.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def forget_token() -> None:
    token_path().unlink(missing_ok=True)


def load_token() -> str | None:
    if token := os.environ.get("ARENA_TOKEN"):
        return token
    path = token_path()
    return path.read_text().strip() if path.is_file() else None


class ArenaClient:
    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = (url or server_url()).rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(
                method, f"{self.url}/api/v1/{path}", timeout=TIMEOUT_S, **kwargs
            )
        except requests.RequestException as exc:
            raise ArenaError(f"Cannot reach {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise ArenaError(_explain(response))
        return response.json()

    def login(self, username: str, password: str) -> dict[str, Any]:
        """{"token", "expires"} (an ISO date; absent from servers before tokens expired)."""
        return self.request(
            "POST", "auth/token/", json={"username": username, "password": password}
        )

    def revoke_token(self) -> dict[str, Any]:
        return self.request("POST", "auth/token/revoke/")

    def assignments(self) -> list[dict[str, Any]]:
        return self.request("GET", "assignments/")

    def submit(self, slug: str, path: Path) -> dict[str, Any]:
        with path.open("rb") as handle:
            return self.request(
                "POST", f"assignments/{slug}/submissions/", files={"file": (path.name, handle)}
            )

    def submission(self, submission_id: int) -> dict[str, Any]:
        return self.request("GET", f"submissions/{submission_id}/")

    def leaderboard(self, slug: str) -> dict[str, Any]:
        return self.request("GET", f"assignments/{slug}/leaderboard/")


def _explain(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if response.status_code == 401:
        if isinstance(detail, str) and "arena login" in detail:
            return detail  # the server said why (expired, revoked) and what to do
        return f"Not logged in or the token is invalid ({detail or 'HTTP 401'}): run `arena login`."
    if detail is None:
        try:
            detail = response.json()
        except ValueError:
            detail = response.text[:300]
    return f"HTTP {response.status_code}: {detail}"
