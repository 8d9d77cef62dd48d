from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

_reset_done = reverse_lazy("accounts:password-reset-complete")

urlpatterns = [
    path("invite/", views.invite, name="invite"),
    path("invite/<int:invitation_id>/send-again/", views.send_again, name="send-again"),
    path("invite/<int:invitation_id>/withdraw/", views.withdraw, name="withdraw"),
    path("join/<str:token>/", views.accept, name="accept"),
    path("people/", views.people_page, name="people"),
    path("people/<int:user_id>/revoke-token/", views.revoke_user_token, name="revoke-user-token"),
    path("people/<int:user_id>/active/", views.set_active, name="set-active"),
    path("token/", views.api_token, name="api-token"),
    path("token/revoke/", views.revoke_own_token, name="revoke-token"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password-change-done"),
        ),
        name="password-change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password-change-done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/emails/password_reset.txt",
            subject_template_name="accounts/emails/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password-reset-sent"),
        ),
        name="password-reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_sent.html",
            extra_context={"timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        ),
        name="password-reset-sent",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", success_url=_reset_done
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]
