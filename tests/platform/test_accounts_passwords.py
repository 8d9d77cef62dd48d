"""Password reset by e-mail: the mail goes to the account's address, its link works once."""

from __future__ import annotations

import pytest
from accounts_kit import RESET_LINK
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

NEW = "a-brand-new-passphrase-3"


@pytest.fixture
def carla(db):  # type: ignore[no-untyped-def]
    return User.objects.create_user("carla", email="carla@example.org", password="carla-pass-1")


def reset_link() -> str:
    (message,) = mail.outbox
    found = RESET_LINK.search(message.body)
    assert found, message.body
    return "/" + found.group(0).split("/", 3)[3]


def set_password(client: Client, link: str) -> object:
    """Django moves the token out of the URL first (so it never leaks in a Referer)."""
    form = client.get(link, follow=True)
    return client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": NEW, "new_password2": NEW},
    )


def test_the_reset_mail_is_sent_and_its_link_works_once(carla):  # type: ignore[no-untyped-def]
    token = Token.objects.create(user=carla)
    sent = Client().post("/accounts/password/reset/", {"email": "carla@example.org"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox[0].to == ["carla@example.org"]
    assert "carla" in mail.outbox[0].body
    link = reset_link()

    done = set_password(Client(), link)
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    assert Client().login(username="carla", password=NEW)
    assert not Token.objects.filter(key=token.key).exists()

    again = Client().get(link, follow=True)
    assert "does not work any more" in again.content.decode()
    refused = set_password(Client(), link)
    assert refused.status_code == 200  # the refusal page, not a redirect
    assert "does not work any more" in refused.content.decode()  # type: ignore[attr-defined]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(db):  # type: ignore[no-untyped-def]
    sent = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_the_login_page_offers_the_reset(db):  # type: ignore[no-untyped-def]
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in page


def test_the_password_change_form_refuses_a_wrong_old_password(carla):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(carla)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "incorrectly" in response.content.decode()
    assert Client().login(username="carla", password="carla-pass-1")


def test_reset_requests_count_against_the_per_address_login_limit(carla, settings):  # type: ignore[no-untyped-def]
    """Each request sends a mail: without a limit the form would mail-bomb an address."""
    settings.ARENA_LOGIN_MAX_PER_IP = 3
    client = Client()
    codes = [
        client.post("/accounts/password/reset/", {"email": "carla@example.org"}).status_code
        for _ in range(5)
    ]
    assert codes == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3
