"""The `arena` client keeps its token private and explains refusals in words."""

from __future__ import annotations

import pytest

from arena_cli.client import load_token, save_token, token_path
from arena_cli.main import main


def test_the_token_file_is_created_private(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("ARENA_TOKEN", raising=False)
    path = save_token("abc123")
    assert path == token_path() == tmp_path / "arena" / "token"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_token() == "abc123"


def test_commands_need_a_login_first(monkeypatch, tmp_path, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("ARENA_TOKEN", raising=False)
    assert main(["assignments"]) == 2
    assert "arena login" in capsys.readouterr().err


def test_an_unreachable_server_is_named(monkeypatch, tmp_path, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ARENA_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    assert main(["login", "--username", "u", "--password", "p"]) == 2
    assert "Cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_submit_refuses_a_missing_file(monkeypatch, tmp_path, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ARENA_TOKEN", "abc")
    assert main(["submit", "week1-tensors", str(tmp_path / "nope.py")]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_usage_errors_exit_non_zero() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["submit"])
    assert exit_info.value.code == 2
