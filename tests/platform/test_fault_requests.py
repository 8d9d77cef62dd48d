"""Bad requests never answer 500, bodies are capped before they are read, and password
guessing meets the same shared limits on every login (API token, portal, admin)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from platform_testkit import make_submission
from rest_framework.authtoken.models import Token
from submissions.models import Status

MB = 1024 * 1024


@pytest.fixture
def alice_api(mentee_a) -> Client:  # type: ignore[no-untyped-def]
    token = Token.objects.create(user=mentee_a)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/submissions/?assignment=%00",
        "/api/v1/submissions/?assignment=platform-smoke%00x",
        "/api/v1/assignments/?q=%00",
        "/submissions/?assignment=%00",
        "/assignments/platform-smoke/leaderboard/?sort=%00",
    ],
)
def test_a_nul_byte_in_the_query_answers_400(alice_api, assignment, url):  # type: ignore[no-untyped-def]
    assert alice_api.get(url).status_code == 400


@pytest.mark.parametrize(
    "url", ["/api/v1/assignments/platform%00smoke/", "/assignments/%00/", "/admin/%00/"]
)
def test_a_nul_byte_in_the_path_names_nothing(alice_api, assignment, url):  # type: ignore[no-untyped-def]
    assert alice_api.get(url).status_code == 404


@pytest.mark.parametrize("body", ["[true]", '"yes"', "3"])
def test_a_select_body_that_is_not_an_object_answers_400(  # type: ignore[no-untyped-def]
    alice_api, mentee_a, assignment, body
):
    submission = make_submission(mentee_a, assignment, status=Status.SCORED, score=50.0)
    response = alice_api.post(
        f"/api/v1/submissions/{submission.pk}/select/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content


def test_an_upload_larger_than_its_assignment_allows_is_refused_before_reading(  # type: ignore[no-untyped-def]
    alice_api, assignment
):
    # The smoke bundle accepts 1 MB: a claimed 2 MB body is refused on its header alone.
    url = f"/api/v1/assignments/{assignment.slug}/submissions/"
    response = alice_api.generic(
        "POST",
        url,
        b"x",
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(2 * MB),
    )
    assert response.status_code == 413 and "at most 1.1 MB" in response.json()["detail"]
    anonymous = Client().generic("POST", "/accounts/login/", b"x", CONTENT_LENGTH=str(50 * MB))
    assert anonymous.status_code == 413


def test_an_upload_within_the_limit_still_passes(alice_api, assignment):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile
    from platform_testkit import REFERENCE_SOLUTION

    upload = SimpleUploadedFile("submission.py", REFERENCE_SOLUTION.read_bytes())
    response = alice_api.post(
        f"/api/v1/assignments/{assignment.slug}/submissions/", {"file": upload}
    )
    assert response.status_code == 201, response.content


def token_login(client: Client, username: str, password: str, forwarded: str = "") -> int:
    return client.post(
        "/api/v1/auth/token/",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
        HTTP_X_FORWARDED_FOR=forwarded,
    ).status_code


def test_guessing_one_password_is_stopped_on_every_login_whatever_the_headers(  # type: ignore[no-untyped-def]
    mentee_a, settings
):
    settings.ARENA_LOGIN_MAX_FAILURES_PER_USER = 5
    client = Client()
    # A new X-Forwarded-For per guess, from a peer that is not a trusted proxy: ignored.
    codes = [token_login(client, "alice", f"guess-{i}", f"10.0.0.{i}") for i in range(5)]
    assert codes == [400] * 5
    assert token_login(client, "alice", "alice-pass-1", "10.9.9.9") == 429  # even the right one
    portal = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-1"})
    admin = client.post("/admin/login/", {"username": "Alice", "password": "alice-pass-1"})
    assert (portal.status_code, admin.status_code) == (429, 429)
    assert token_login(client, "bob", "bob-pass-1") != 429  # other accounts are not locked


def test_a_valid_token_does_not_lift_the_per_address_limit(alice_api, settings):  # type: ignore[no-untyped-def]
    settings.ARENA_LOGIN_MAX_PER_IP = 6
    codes = [token_login(alice_api, f"user{i}", "x") for i in range(7)]
    assert codes[:6] == [400] * 6 and codes[6] == 429


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(mentee_a, settings):  # type: ignore[no-untyped-def]
    settings.ARENA_LOGIN_MAX_PER_IP = 3
    settings.ARENA_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1")
    # Behind our proxy each real client has its own count (the proxy's own hop is skipped).
    assert [token_login(client, "nobody", "x", "203.0.113.5, 127.0.0.1") for _ in range(4)] == [
        400,
        400,
        400,
        429,
    ]
    assert token_login(client, "nobody", "x", "203.0.113.6") == 400
    # A client that prepends its own guess is still counted under its real address.
    assert token_login(client, "nobody", "x", "198.51.100.1, 203.0.113.5") == 429
