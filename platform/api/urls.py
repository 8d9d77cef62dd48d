from django.urls import path

from api import token_views, views

app_name = "api"

urlpatterns = [
    path("auth/token/", token_views.ObtainToken.as_view(), name="token"),
    path("auth/token/revoke/", token_views.revoke_own_token, name="token-revoke"),
    path(
        "users/<str:username>/token/revoke/",
        token_views.revoke_user_token,
        name="user-token-revoke",
    ),
    path("assignments/", views.assignment_list, name="assignment-list"),
    path("assignments/<slug:slug>/", views.assignment_detail, name="assignment-detail"),
    path(
        "assignments/<slug:slug>/rejudge/", views.assignment_rejudge, name="assignment-rejudge"
    ),
    path(
        "assignments/<slug:slug>/starter.zip", views.assignment_starter, name="assignment-starter"
    ),
    path(
        "assignments/<slug:slug>/submissions/",
        views.assignment_submissions,
        name="assignment-submissions",
    ),
    path(
        "assignments/<slug:slug>/leaderboard/",
        views.assignment_leaderboard,
        name="assignment-leaderboard",
    ),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission-detail"),
    path("submissions/<int:submission_id>/logs/", views.submission_logs, name="submission-logs"),
    path("submissions/<int:submission_id>/file/", views.submission_file, name="submission-file"),
    path(
        "submissions/<int:submission_id>/select/", views.submission_select, name="submission-select"
    ),
    path(
        "submissions/<int:submission_id>/rejudge/",
        views.submission_rejudge,
        name="submission-rejudge",
    ),
]
