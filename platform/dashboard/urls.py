from django.urls import path

from dashboard import reviews, views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue_fragment, name="queue"),
    path("grades.csv", views.grades_csv, name="grades-csv"),
    path("submissions/<int:submission_id>/rejudge/", views.rejudge_submission, name="rejudge"),
    path("assignments/<slug:slug>/reveal/", views.reveal_private_board, name="reveal"),
    path("review/", reviews.review_queue, name="review"),
    path("review/<int:submission_id>/", reviews.review_decide, name="review-decide"),
]
