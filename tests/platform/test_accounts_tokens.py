"""API tokens expire, are revoked by their owner, by a mentor and by a password change, and a
refused token says which of these happened (the CLI prints it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from arena_cli.main import main as arena

ALICE = {"username": "alice", "password": "alice-pass-1"}


def log_in(credentials=ALICE) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = APIClient().post("/api/v1/auth/token/", credentials, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def age(token: str, days: float) -> None:
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=days))


def test_a_login_says_when_its_token_expires(mentee_a, settings):  # type: ignore[no-untyped-def]
    settings.ARENA_TOKEN_TTL_DAYS = 7
    body = log_in()
    expires = timezone.datetime.fromisoformat(body["expires"])
    assert timedelta(days=6, hours=23) < expires - timezone.now() <= timedelta(days=7)
    assert log_in()["token"] == body["token"]  # a second machine shares the live token


def test_an_expired_token_is_a_401_that_says_so_and_a_new_login_works(mentee_a, settings):  # type: ignore[no-untyped-def]
    settings.ARENA_TOKEN_TTL_DAYS = 30
    old = log_in()["token"]
    age(old, 31)
    response = api(old).get("/api/v1/submissions/")
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "expired on" in detail and "arena login" in detail
    assert response["WWW-Authenticate"] == "Token"
    fresh = log_in()["token"]
    assert fresh != old and api(fresh).get("/api/v1/submissions/").status_code == 200


def test_a_shorter_ttl_applies_to_tokens_already_issued(mentee_a, settings):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    age(token, 2)
    settings.ARENA_TOKEN_TTL_DAYS = 1
    assert api(token).get("/api/v1/submissions/").status_code == 401


def test_the_owner_revokes_their_token(mentee_a):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    assert api(token).post("/api/v1/auth/token/revoke/").json() == {"revoked": 1}
    response = api(token).get("/api/v1/submissions/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_mentor_revokes_a_mentees_token_and_a_mentee_cannot(mentor, mentee_a, mentee_b):  # type: ignore[no-untyped-def]
    alice = log_in()["token"]
    bob = log_in({"username": "bob", "password": "bob-pass-1"})["token"]
    assert api(bob).post("/api/v1/users/alice/token/revoke/").status_code == 403
    assert api(alice).get("/api/v1/submissions/").status_code == 200
    mentor_token = log_in({"username": "mira", "password": "mentor-pass-1"})["token"]
    revoked = api(mentor_token).post("/api/v1/users/alice/token/revoke/")
    assert revoked.json() == {"username": "alice", "revoked": 1}
    assert api(alice).get("/api/v1/submissions/").status_code == 401
    assert api(bob).get("/api/v1/submissions/").status_code == 200
    assert api(mentor_token).post("/api/v1/users/nobody/token/revoke/").status_code == 404


def test_changing_the_password_revokes_the_token(mentee_a):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    client = Client()
    client.force_login(mentee_a)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": "alice-pass-1",
            "new_password1": "a-new-passphrase-42",
            "new_password2": "a-new-passphrase-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/done/"
    assert "revoked" in client.get(response["Location"]).content.decode()
    assert api(token).get("/api/v1/submissions/").status_code == 401
    assert client.get("/submissions/").status_code == 200  # the browser session stays


def test_a_password_set_anywhere_revokes_the_token(mentee_a):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    mentee_a.set_password("set-by-the-admin-99")
    mentee_a.save()
    assert not Token.objects.filter(key=token).exists()


def test_the_account_page_shows_and_revokes_the_token(mentee_a):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    client = Client()
    client.force_login(mentee_a)
    assert "it expires on" in client.get("/accounts/token/").content.decode()
    assert client.post("/accounts/token/revoke/").status_code == 302
    assert not Token.objects.filter(key=token).exists()
    assert "no live API token" in client.get("/accounts/token/").content.decode()


def test_a_mentor_revokes_a_token_from_the_people_page(mentor, mentee_a):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    client = Client()
    client.force_login(mentor)
    page = client.get("/accounts/people/").content.decode()
    assert 'data-person="alice"' in page and "Revoke" in page
    assert client.post(f"/accounts/people/{mentee_a.pk}/revoke-token/").status_code == 302
    assert not Token.objects.filter(key=token).exists()
    mentee = Client()
    mentee.force_login(mentee_a)
    assert mentee.post(f"/accounts/people/{mentor.pk}/revoke-token/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_cli_says_the_token_expired(live_server, monkeypatch, tmp_path, capsys):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    User.objects.create_user("alice", password="alice-pass-1")
    monkeypatch.setenv("ARENA_URL", live_server.url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("ARENA_TOKEN", raising=False)
    assert arena(["login", "--username", "alice", "--password", "alice-pass-1"]) == 0
    assert "expires" in capsys.readouterr().out
    age(Token.objects.get().key, 31)
    assert arena(["assignments"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("arena: This API token expired on ")
    assert "arena login" in error and "invalid" not in error


@pytest.mark.django_db(transaction=True)
def test_arena_logout_revokes_the_token_on_the_server(live_server, monkeypatch, tmp_path, capsys):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    from arena_cli.client import token_path

    User.objects.create_user("alice", password="alice-pass-1")
    monkeypatch.setenv("ARENA_URL", live_server.url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("ARENA_TOKEN", raising=False)
    assert arena(["login", "--username", "alice", "--password", "alice-pass-1"]) == 0
    key = token_path().read_text().strip()
    assert arena(["logout"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert not token_path().exists() and not Token.objects.filter(key=key).exists()
    assert arena(["logout"]) == 0  # twice is fine


def test_a_mentor_disables_a_mentee_who_left(mentor, mentee_a):  # type: ignore[no-untyped-def]
    token = log_in()["token"]
    mentee = Client()
    mentee.force_login(mentee_a)
    client = Client()
    client.force_login(mentor)
    assert client.post(f"/accounts/people/{mentee_a.pk}/active/", {"active": "0"}).status_code == 302
    mentee_a.refresh_from_db()
    assert not mentee_a.is_active
    assert api(token).get("/api/v1/submissions/").status_code == 401
    assert mentee.get("/submissions/").status_code == 302  # the session ended too
    assert APIClient().post("/api/v1/auth/token/", ALICE, format="json").status_code == 400
    client.post(f"/accounts/people/{mentee_a.pk}/active/", {"active": "1"})
    assert Client().login(**ALICE)


def test_mentors_are_not_disabled_by_mentors_nor_anyone_by_mentees(mentor, mentee_a):  # type: ignore[no-untyped-def]
    from accounts.mentor_role import grant_mentor_role
    from django.contrib.auth.models import User

    other = User.objects.create_user("otto")
    grant_mentor_role(other)
    client = Client()
    client.force_login(mentor)
    page = client.post(f"/accounts/people/{other.pk}/active/", {"active": "0"}, follow=True)
    assert "only a superuser" in page.content.decode()
    mentee = Client()
    mentee.force_login(mentee_a)
    assert mentee.post(f"/accounts/people/{mentor.pk}/active/", {"active": "0"}).status_code == 403
    other.refresh_from_db()
    mentor.refresh_from_db()
    assert other.is_active and mentor.is_active


def test_mentors_account_actions_are_in_the_audit_trail(mentor, mentee_a):  # type: ignore[no-untyped-def]
    from courses.models import AuditEvent

    token = log_in()["token"]
    client = Client()
    client.force_login(mentor)
    client.post(f"/accounts/people/{mentee_a.pk}/revoke-token/")
    client.post(f"/accounts/people/{mentee_a.pk}/active/", {"active": "0"})
    assert not Token.objects.filter(key=token).exists()
    events = list(
        AuditEvent.objects.order_by("id").values_list(
            "actor_name", "subject", "field", "old_value", "new_value"
        )
    )
    assert events == [
        ("mira", "alice", "API token", "live", "revoked"),
        ("mira", "alice", "account", "active", "disabled"),
    ]
    dashboard = client.get("/dashboard/audit/").content.decode()
    assert 'data-audit-field="account"' in dashboard
