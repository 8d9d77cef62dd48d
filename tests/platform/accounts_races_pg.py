"""Two people open one invitation link at the same moment: exactly one account is created.

Run by test_accounts_on_postgresql.py only (real row locks; SQLite's in-memory test database
serialises writers with "table is locked" errors instead), hence no test_ prefix."""

from __future__ import annotations

import threading

import pytest
from accounts import invitations
from accounts.invitations import InvitationRefused
from accounts.models import Enrolment
from accounts.recipients import Recipient
from accounts_kit import make_assignment
from django.contrib.auth.models import User
from django.db import connection, connections, transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_link_opened_twice_at_once_makes_one_account() -> None:
    assert connection.vendor == "postgresql", "run through test_accounts_on_postgresql.py"
    course = make_assignment().week.course
    mentor = User.objects.create_user("mira")
    tokens: list[str] = []
    invitations.invite(course, [Recipient(1, "ann@example.org")], mentor, tokens.append)
    (token,) = tokens
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def accept_as(username: str) -> None:
        try:
            start.wait()
            with transaction.atomic():
                user = User.objects.create_user(username, password="pass-for-race-1")
                invitations.accept(token, user)
            outcomes.append("joined")
        except InvitationRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept_as, args=(name,)) for name in ("ann", "ann2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["joined", "refused"]
    assert Enrolment.objects.count() == 1
    assert User.objects.filter(username__startswith="ann").count() == 1
