from django.contrib.auth import views as auth_views
from django.urls import path

from portal.views import assignments, course, submissions

app_name = "portal"

urlpatterns = [
    path("", course.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("courses/<slug:slug>/", course.course_detail, name="course"),
    path("courses/<slug:slug>/weeks/<int:number>/", course.week_detail, name="week"),
    path(
        "courses/<slug:slug>/weeks/<int:number>/comparison.png",
        course.week_comparison_png,
        name="week-comparison",
    ),
    path("assignments/<slug:slug>/", assignments.assignment_detail, name="assignment"),
    path("assignments/<slug:slug>/submit/", assignments.submit, name="submit"),
    path("assignments/<slug:slug>/starter.zip", assignments.starter_download, name="starter"),
    path("assignments/<slug:slug>/assets/<path:path>", assignments.asset, name="asset"),
    path("assignments/<slug:slug>/leaderboard/", assignments.leaderboard_page, name="leaderboard"),
    path(
        "assignments/<slug:slug>/leaderboard/pseudonyms/",
        assignments.board_pseudonyms,
        name="board-pseudonyms",
    ),
    path("submissions/", submissions.my_submissions_page, name="my-submissions"),
    path("submissions/rows/", submissions.my_submissions_rows, name="my-submission-rows"),
    path("submissions/<int:submission_id>/", submissions.result_page, name="result"),
    path("submissions/<int:submission_id>/panel/", submissions.result_panel, name="result-panel"),
    path("submissions/<int:submission_id>/logs.txt", submissions.result_logs, name="result-logs"),
    path("submissions/<int:submission_id>/code/", submissions.code_download, name="code"),
    path(
        "submissions/<int:submission_id>/select/",
        submissions.select_for_private_board,
        name="select",
    ),
]
