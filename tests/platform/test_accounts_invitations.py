"""Mentors invite mentees by e-mail; a link works once, until it expires, and enrols its user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts.invitations import hash_token
from accounts.models import Enrolment, Invitation, Role
from accounts_kit import INVITE_URL, invite, join, link_in_mail, make_assignment, mentor_client
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

NEW_PASSWORD = "a-long-fresh-passphrase-7"


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return make_assignment().week.course


def test_it_invites_two_mentees_who_join_with_their_own_passwords(mentor, course):  # type: ignore[no-untyped-def]
    response = invite(mentor_client(mentor), course, "ann@example.org,\n ben@example.org")
    assert response.status_code == 200
    assert 'data-sent="2"' in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "ben@example.org"]
    assert course.title in mail.outbox[0].subject

    link = link_in_mail("ann@example.org")
    form = Client().get(link)
    assert form.status_code == 200 and 'value="ann"' in form.content.decode()
    joined = join(link, "ann", NEW_PASSWORD)
    assert joined.status_code == 302 and joined["Location"].startswith("/accounts/login/")

    ann = User.objects.get(username="ann")
    assert ann.email == "ann@example.org" and not ann.is_staff
    enrolment = Enrolment.objects.get(user=ann)
    assert (enrolment.course, enrolment.role) == (course, Role.MENTEE)
    assert Client().login(username="ann", password=NEW_PASSWORD)
    assert Invitation.objects.get(email="ann@example.org").status() == "accepted"
    assert Invitation.objects.get(email="ben@example.org").status() == "pending"


def test_the_database_holds_only_a_hash_of_the_link(mentor, course):  # type: ignore[no-untyped-def]
    invite(mentor_client(mentor), course, "ann@example.org")
    token = link_in_mail("ann@example.org").rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    stored = Invitation.objects.get()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash


def test_a_used_link_is_refused_and_creates_nobody(mentor, course):  # type: ignore[no-untyped-def]
    invite(mentor_client(mentor), course, "ann@example.org")
    link = link_in_mail("ann@example.org")
    assert join(link, "ann", NEW_PASSWORD).status_code == 302

    again = join(link, "ann2", NEW_PASSWORD)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert not User.objects.filter(username="ann2").exists()
    assert Enrolment.objects.count() == 1


def test_an_expired_link_is_refused(mentor, course):  # type: ignore[no-untyped-def]
    invite(mentor_client(mentor), course, "ann@example.org")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    link = link_in_mail("ann@example.org")
    for response in (Client().get(link), join(link, "ann", NEW_PASSWORD)):
        assert response.status_code == 410
        assert "expired on" in response.content.decode()
    assert not User.objects.filter(username="ann").exists()


def test_a_made_up_link_is_refused(db):  # type: ignore[no-untyped-def]
    response = Client().get("/accounts/join/not-a-real-token/")
    assert response.status_code == 410 and "not valid" in response.content.decode()


def test_send_again_kills_the_old_link_and_the_new_one_works(mentor, course):  # type: ignore[no-untyped-def]
    client = mentor_client(mentor)
    invite(client, course, "ann@example.org")
    old_link = link_in_mail("ann@example.org")
    old = Invitation.objects.get()
    assert client.post(f"/accounts/invite/{old.pk}/send-again/").status_code == 302
    new_link = link_in_mail("ann@example.org")
    assert new_link != old_link
    assert Client().get(old_link).status_code == 410
    assert join(new_link, "ann", NEW_PASSWORD).status_code == 302


def test_a_withdrawn_link_is_refused(mentor, course):  # type: ignore[no-untyped-def]
    client = mentor_client(mentor)
    invite(client, course, "ann@example.org")
    client.post(f"/accounts/invite/{Invitation.objects.get().pk}/withdraw/")
    response = Client().get(link_in_mail("ann@example.org"))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_a_csv_invites_the_good_rows_and_reports_each_bad_one(mentor, mentee_a, course):  # type: ignore[no-untyped-def]
    csv = (
        b"email,name,username\n"
        b"ann@example.org,Ann Lee,ann\n"  # row 2: fine
        b"not-an-address,Bad Row,\n"  # row 3
        b"ANN@example.org,Twice,\n"  # row 4: the same address as row 2
        b"cat@example.org,Cat,alice\n"  # row 5: alice exists
        b"dan@example.org,Dan,dan,extra\n"  # row 6: four columns
        b"\n"
        b"eve@example.org,,\n"  # row 8: fine
    )
    response = invite(mentor_client(mentor), course, csv=csv)
    page = response.content.decode()
    assert 'data-sent="2"' in page and 'data-row-errors="4"' in page
    for row, reason in [
        (3, "not an e-mail address"),
        (4, "the same address as row 2"),
        (5, "the username &#x27;alice&#x27; is taken"),
        (6, "more than 3 columns"),
    ]:
        assert f'data-row="{row}"' in page and reason in page, (row, reason)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "eve@example.org"]
    ann = Invitation.objects.get(email="ann@example.org")
    assert (ann.name, ann.username) == ("Ann Lee", "ann")


def test_a_csv_that_is_not_text_invites_nobody(mentor, course):  # type: ignore[no-untyped-def]
    response = invite(mentor_client(mentor), course, csv=b"\xff\xfe\x00b\x00a\x00d")
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_it_skips_who_is_already_invited_or_enrolled(mentor, course):  # type: ignore[no-untyped-def]
    client = mentor_client(mentor)
    invite(client, course, "ann@example.org")
    join(link_in_mail("ann@example.org"), "ann", NEW_PASSWORD)
    invite(client, course, "ben@example.org")
    response = invite(client, course, "ann@example.org ben@example.org")
    page = response.content.decode()
    assert 'data-sent="0"' in page
    assert "already enrolled" in page and "already invited" in page
    assert len(mail.outbox) == 2


def test_an_empty_form_says_what_is_missing(mentor, course):  # type: ignore[no-untyped-def]
    response = invite(mentor_client(mentor), course, "  ")
    assert "at least one e-mail address" in response.content.decode()


def test_a_failed_mail_shows_the_mentor_the_link_to_pass_on(mentor, course, settings):  # type: ignore[no-untyped-def]
    from stack import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    page = invite(mentor_client(mentor), course, "ann@example.org").content.decode()
    assert "could not be sent" in page
    link = page.split("<code>", 1)[1].split("</code>", 1)[0]
    assert join("/" + link.split("/", 3)[3], "ann", NEW_PASSWORD).status_code == 302


def test_a_signed_in_user_joins_with_their_account(mentor, mentee_a, course):  # type: ignore[no-untyped-def]
    invite(mentor_client(mentor), course, "alice@example.org")
    client = Client()
    client.force_login(mentee_a)
    link = link_in_mail("alice@example.org")
    assert "Join as alice" in client.get(link).content.decode()
    assert client.post(link).status_code == 302
    assert Enrolment.objects.filter(user=mentee_a, course=course).exists()


def test_a_mentor_invitation_gives_the_mentor_role(mentor, course):  # type: ignore[no-untyped-def]
    from courses.roles import is_mentor

    invite(mentor_client(mentor), course, "max@example.org", role="mentor")
    join(link_in_mail("max@example.org"), "max", NEW_PASSWORD)
    max_ = User.objects.get(username="max")
    assert is_mentor(max_) and max_.is_staff


@pytest.mark.parametrize(
    "path",
    [INVITE_URL, "/accounts/people/"],
)
def test_mentor_pages_refuse_mentees_and_send_visitors_to_log_in(mentee_a, path, db):  # type: ignore[no-untyped-def]
    assert Client().get(path).status_code == 302
    client = Client()
    client.force_login(mentee_a)
    assert client.get(path).status_code == 403
    assert client.post(path, {"addresses": "x@example.org"}).status_code == 403
    assert mail.outbox == []


def test_a_mentee_cannot_send_withdraw_or_revoke(mentor, mentee_a, course):  # type: ignore[no-untyped-def]
    invite(mentor_client(mentor), course, "ann@example.org")
    invitation = Invitation.objects.get()
    client = Client()
    client.force_login(mentee_a)
    for path in (
        f"/accounts/invite/{invitation.pk}/send-again/",
        f"/accounts/invite/{invitation.pk}/withdraw/",
        f"/accounts/people/{mentor.pk}/revoke-token/",
    ):
        assert client.post(path).status_code == 403, path
    invitation.refresh_from_db()
    assert invitation.status() == "pending" and len(mail.outbox) == 1


def test_a_typed_bad_address_is_named_and_the_others_are_invited(mentor, course):  # type: ignore[no-untyped-def]
    page = invite(mentor_client(mentor), course, "ann@example.org, nope; ben@example.org")
    text = page.content.decode()
    assert 'data-sent="2"' in text
    assert 'data-address="2"' in text and "address 2 (nope): not an e-mail address" in text


def test_too_many_addresses_at_once_invite_nobody(mentor, course):  # type: ignore[no-untyped-def]
    addresses = " ".join(f"m{i}@example.org" for i in range(201))
    page = invite(mentor_client(mentor), course, addresses).content.decode()
    assert "201 addresses at once is too many" in page
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_invitations_are_in_the_audit_trail(mentor, course):  # type: ignore[no-untyped-def]
    from courses.models import AuditEvent

    client = mentor_client(mentor)
    invite(client, course, "ann@example.org")
    client.post(f"/accounts/invite/{Invitation.objects.get().pk}/withdraw/")
    events = list(AuditEvent.objects.order_by("id").values_list("subject", "new_value"))
    assert events == [
        ("ann@example.org", f"mentee of {course.slug}"),
        ("ann@example.org", "withdrawn"),
    ]
