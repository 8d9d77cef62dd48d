"""Root URLs. The portal and the mentor dashboard are included once their apps exist."""

from __future__ import annotations

import importlib.util

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("accounts/", include("accounts.urls")),
    # Workers only (ARENA_WORKER_TOKEN): grading inputs by SHA-256 for workers on other hosts.
    path("internal/v1/", include("internal_api.urls")),
]


def _has_urls(app: str) -> bool:
    return importlib.util.find_spec(app) is not None and (
        importlib.util.find_spec(f"{app}.urls") is not None
    )


if _has_urls("dashboard"):
    urlpatterns.append(path("dashboard/", include("dashboard.urls")))
if _has_urls("portal"):
    urlpatterns.append(path("", include("portal.urls")))
