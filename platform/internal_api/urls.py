from __future__ import annotations

from django.urls import path

from internal_api import views

app_name = "internal"

urlpatterns = [
    path("submissions/<int:submission_id>/inputs/", views.submission_inputs, name="inputs"),
    path(
        "submissions/<int:submission_id>/blobs/<str:sha256>/",
        views.submission_blob,
        name="blob",
    ),
]
