"""Settings come from environment variables read by typed helpers that fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from arena_site.env import demo_secret_key, env_bool, env_choice, env_int, env_list
from django.core.exceptions import ImproperlyConfigured

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (lambda: env_bool("ARENA_TEST_VALUE", False), "maybe"),
        (lambda: env_int("ARENA_TEST_VALUE", 1), "ten"),
        (lambda: env_int("ARENA_TEST_VALUE", 1, minimum=2), "1"),
        (lambda: env_choice("ARENA_TEST_VALUE", "auto", ("auto", "none")), "podman"),
    ],
)
def test_a_malformed_value_stops_start_up(monkeypatch, reader, value):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ARENA_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured, match="ARENA_TEST_VALUE"):
        reader()


def test_well_formed_values_are_read(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ARENA_TEST_VALUE", "a.example, b.example,")
    assert env_list("ARENA_TEST_VALUE", []) == ["a.example", "b.example"]
    monkeypatch.setenv("ARENA_TEST_VALUE", "Yes")
    assert env_bool("ARENA_TEST_VALUE", False) is True


def test_the_demo_secret_key_is_random_private_and_kept(tmp_path):  # type: ignore[no-untyped-def]
    key = demo_secret_key(tmp_path / "secret_key")
    assert len(key) >= 50 and demo_secret_key(tmp_path / "secret_key") == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert demo_secret_key(tmp_path / "other") != key


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ARENA_DEMO", "ARENA_DEBUG")
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.CELERY_BROKER_URL)",
        ],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "arena_site.settings",
            "PYTHONPATH": f"{REPO}:{REPO / 'platform'}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):  # type: ignore[no-untyped-def]
    result = load_settings({"ARENA_HOME": str(tmp_path)})
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_demo_mode_generates_a_key_and_uses_the_embedded_broker(tmp_path):  # type: ignore[no-untyped-def]
    result = load_settings({"ARENA_HOME": str(tmp_path), "ARENA_DEMO": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("filesystem://")
    assert (tmp_path / "secret_key").exists() and (tmp_path / "broker" / "queue").is_dir()
