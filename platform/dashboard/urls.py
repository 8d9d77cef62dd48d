from django.urls import path
from submissions import rejudge_views

from dashboard import mentor_views, reviews, setup_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue_fragment, name="queue"),
    path("grades.csv", views.grades_csv, name="grades-csv"),
    path("progress/", mentor_views.progress, name="progress"),
    path("audit/", setup_views.audit_trail, name="audit"),
    path("submissions/<int:submission_id>/rejudge/", views.rejudge_submission, name="rejudge"),
    path(
        "submissions/<int:submission_id>/hidden-logs/",
        mentor_views.hidden_logs,
        name="hidden-logs",
    ),
    path(
        "assignments/<slug:slug>/rejudge/",
        rejudge_views.rejudge_assignment_view,
        name="rejudge-assignment",
    ),
    path("assignments/<slug:slug>/", mentor_views.assignment_overview, name="assignment"),
    path("assignments/<slug:slug>/settings/", setup_views.assignment_settings, name="settings"),
    path(
        "assignments/<slug:slug>/extensions/", setup_views.extension_grant, name="extension-grant"
    ),
    path(
        "assignments/<slug:slug>/extensions/<int:user_id>/revoke/",
        setup_views.extension_revoke,
        name="extension-revoke",
    ),
    path(
        "assignments/<slug:slug>/similarity/",
        mentor_views.similarity_report,
        name="similarity",
    ),
    path(
        "similarity/<int:left_id>/<int:right_id>/",
        mentor_views.side_by_side,
        name="side-by-side",
    ),
    path("assignments/<slug:slug>/reveal/", views.reveal_private_board, name="reveal"),
    path("review/", reviews.review_queue, name="review"),
    path("review/<int:submission_id>/", reviews.review_decide, name="review-decide"),
]
