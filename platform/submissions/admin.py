from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from submissions.models import Submission
from submissions.services import rejudge


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "assignment", "owner", "status", "score", "attempt", "created_at"]
    list_filter = ["status", "assignment"]
    search_fields = ["owner__username", "sha256"]
    readonly_fields = ["file", "sha256", "report", "claim_token", "attempt", "heartbeat_at"]
    actions = ["rejudge_selected"]

    @admin.action(description="Rejudge the selected submissions")
    def rejudge_selected(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = sum(rejudge(submission) for submission in queryset)
        self.message_user(request, f"{count} submissions queued again.")
