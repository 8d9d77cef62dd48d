from django.contrib import admin

from accounts.models import Enrolment, Invitation


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "role", "enrolled_at"]
    list_filter = ["course", "role"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user", "invitation"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Links are created on /accounts/invite/ (the token is shown once, in the mail); here a
    mentor reads them and may shorten an expiry or withdraw one."""

    list_display = ["email", "course", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["course", "role"]
    search_fields = ["email", "name", "username"]
    fields = ["course", "email", "name", "username", "role", "invited_by", "created_at",
              "expires_at", "accepted_at", "accepted_by", "revoked_at"]
    readonly_fields = ["course", "email", "role", "invited_by", "created_at", "accepted_at",
                       "accepted_by"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
