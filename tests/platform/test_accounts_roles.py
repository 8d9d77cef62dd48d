"""Mentors run the course from /admin/ too; mentees have no admin at all."""

from __future__ import annotations

import pytest
from accounts.mentor_role import ensure_mentor_group, grant_mentor_role
from accounts_kit import make_assignment
from courses.roles import MENTORS_GROUP
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token


@pytest.fixture
def admin_mentor(db):  # type: ignore[no-untyped-def]
    user = User.objects.create_user("mona", password="mentor-pass-2")
    grant_mentor_role(user)
    return user


def logged_in_admin(username: str, password: str) -> Client:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_the_mentors_group_exists_after_migrate_with_its_permissions(db):  # type: ignore[no-untyped-def]
    group = Group.objects.get(name=MENTORS_GROUP)
    names = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert {
        ("courses", "change_assignment"),
        ("courses", "view_assignment"),
        ("submissions", "view_submission"),
        ("leaderboards", "view_leaderboardentry"),
        ("accounts", "add_invitation"),
        ("accounts", "view_enrolment"),
    } <= names
    # The admin's user form edits is_superuser: that right would make a mentor a superuser.
    assert ("auth", "change_user") not in names and ("auth", "add_user") not in names


def test_a_mentor_logs_in_to_the_admin_and_sees_the_assignment_list(admin_mentor):  # type: ignore[no-untyped-def]
    assignment = make_assignment()
    client = logged_in_admin("mona", "mentor-pass-2")
    index = client.get("/admin/").content.decode()
    assert "permission to view or edit anything" not in index
    assert "Assignments" in index and "Submissions" in index and "Invitations" in index
    listing = client.get("/admin/courses/assignment/")
    assert listing.status_code == 200 and assignment.slug in listing.content.decode()
    change = client.get(f"/admin/courses/assignment/{assignment.pk}/change/")
    assert change.status_code == 200 and 'name="deadline_0"' in change.content.decode()


def test_a_mentor_cannot_make_anyone_a_superuser(admin_mentor, mentee_a):  # type: ignore[no-untyped-def]
    client = logged_in_admin("mona", "mentor-pass-2")
    response = client.post(
        f"/admin/auth/user/{mentee_a.pk}/change/",
        {"username": "alice", "is_superuser": "on", "is_staff": "on"},
    )
    assert response.status_code == 403
    mentee_a.refresh_from_db()
    assert not (mentee_a.is_superuser or mentee_a.is_staff)


def test_a_mentee_gets_no_admin(mentee_a, db):  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": "alice-pass-1"}
    )
    assert response.status_code == 200  # the form again: staff only
    assert "_auth_user_id" not in client.session
    client.force_login(mentee_a)
    assert client.get("/admin/").status_code == 302  # to the admin login
    assert client.get("/admin/courses/assignment/").status_code == 302
    assert "Admin</a>" not in client.get("/submissions/").content.decode()


def test_ensuring_the_group_again_changes_nothing(db):  # type: ignore[no-untyped-def]
    before = set(Group.objects.get(name=MENTORS_GROUP).permissions.all())
    assert set(ensure_mentor_group().permissions.all()) == before


def test_make_mentor_gives_the_role(mentee_a):  # type: ignore[no-untyped-def]
    from courses.roles import is_mentor

    call_command("make_mentor", "alice")
    mentee_a.refresh_from_db()
    assert mentee_a.is_staff and is_mentor(mentee_a)


def test_the_demo_accounts_still_work_and_a_restart_keeps_their_tokens(settings, db):  # type: ignore[no-untyped-def]
    settings.ARENA_DEMO = True
    call_command("create_demo_users")
    token = Token.objects.create(user=User.objects.get(username="mentee1"))
    call_command("create_demo_users")  # what every `make run` does
    assert Token.objects.filter(key=token.key).exists()
    assert Client().login(username="mentee1", password="mentee-demo")
    logged_in_admin("mentor", "mentor-demo")


def test_a_mentor_rejudges_from_the_admin_submission_list(admin_mentor, mentee_a):  # type: ignore[no-untyped-def]
    from platform_testkit import make_submission
    from submissions.models import Status, Submission

    submission = make_submission(mentee_a, make_assignment(), status=Status.SCORED, score=90.0)
    client = logged_in_admin("mona", "mentor-pass-2")
    listing = client.get("/admin/submissions/submission/")
    assert listing.status_code == 200 and "rejudge_selected" in listing.content.decode()
    response = client.post(
        "/admin/submissions/submission/",
        {"action": "rejudge_selected", "_selected_action": [submission.pk]},
    )
    assert response.status_code == 302
    assert Submission.objects.get(pk=submission.pk).status == Status.QUEUED
