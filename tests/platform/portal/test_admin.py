"""The Django admin covers every model of the platform, and each change list opens."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

PLATFORM_APPS = ("courses", "submissions", "leaderboards", "auth", "authtoken")


def platform_models() -> list[type]:
    return [model for label in PLATFORM_APPS for model in apps.get_app_config(label).get_models()]


def test_every_platform_model_is_in_the_admin() -> None:
    missing = [
        model.__name__
        for model in platform_models()
        if not admin.site.is_registered(model)
        # DRF registers its token through a proxy model (TokenProxy) that lists by user.
        and model._meta.label != "authtoken.Token"
        # Permissions are edited on users and groups, never on their own.
        and model._meta.label != "auth.Permission"
    ]
    assert missing == []


@pytest.mark.parametrize("model", admin.site._registry, ids=lambda m: m._meta.label)
def test_each_change_list_opens_for_a_superuser(model, db, mentee_a, assignment) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User
    from leaderboards.services import update_entry
    from platform_testkit import make_submission
    from submissions.models import Status

    make_submission(mentee_a, assignment, status=Status.SCORED, score=10.0)
    update_entry(assignment, mentee_a)
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="root-pass-1"))
    opts = model._meta
    response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    assert response.status_code == 200
