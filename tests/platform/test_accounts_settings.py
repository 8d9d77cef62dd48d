"""The e-mail and token settings come from the environment and refuse nonsense at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, "
    "s.EMAIL_USE_SSL, s.DEFAULT_FROM_EMAIL, s.ARENA_TOKEN_TTL_DAYS]))"
)


def settings_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "arena_site.settings",
            "PYTHONPATH": f"{REPO}:{REPO / 'platform'}",
            "ARENA_HOME": str(tmp_path),
            "SECRET_KEY": "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_demo_prints_mails_and_production_sends_them_by_smtp(tmp_path: Path) -> None:
    demo = settings_with(tmp_path, ARENA_DEMO="1")
    assert json.loads(demo.stdout)[0] == "django.core.mail.backends.console.EmailBackend"
    production = settings_with(
        tmp_path,
        ARENA_EMAIL_HOST="smtp.example.org",
        ARENA_EMAIL_PORT="465",
        ARENA_EMAIL_USE_SSL="1",
        ARENA_EMAIL_FROM="Arena <arena@example.org>",
        ARENA_TOKEN_TTL_DAYS="7",
    )
    assert json.loads(production.stdout) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        465,
        False,  # implicit TLS on 465 turns STARTTLS off unless asked for
        True,
        "Arena <arena@example.org>",
        7,
    ]


def test_bad_mail_or_token_settings_stop_start_up_with_their_name(tmp_path: Path) -> None:
    for env, named in [
        ({"ARENA_EMAIL_BACKEND": "sendmail"}, "ARENA_EMAIL_BACKEND"),
        ({"ARENA_EMAIL_USE_TLS": "1", "ARENA_EMAIL_USE_SSL": "1"}, "exclusive"),
        ({"ARENA_TOKEN_TTL_DAYS": "0"}, "ARENA_TOKEN_TTL_DAYS"),
        ({"ARENA_EMAIL_PORT": "smtp"}, "ARENA_EMAIL_PORT"),
    ]:
        result = settings_with(tmp_path, **env)
        assert result.returncode != 0 and named in result.stderr, (env, result.stderr[-500:])
