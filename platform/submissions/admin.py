from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from submissions.models import GradingReport, Submission
from submissions.services import rejudge


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "assignment",
        "owner",
        "status",
        "score",
        "judging",
        "queue",
        "attempt",
        "created_at",
    ]
    list_filter = ["status", "assignment", "queue"]
    search_fields = ["owner__username", "sha256"]
    readonly_fields = [
        "file",
        "sha256",
        "report",
        "claim_token",
        "attempt",
        "heartbeat_at",
        "judging",
        "bundle_hash",
        "grader_version",
    ]
    actions = ["rejudge_selected"]

    @admin.action(description="Rejudge the selected submissions")
    def rejudge_selected(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = sum(rejudge(submission) for submission in queryset)
        self.message_user(request, f"{count} submissions queued again.")


@admin.register(GradingReport)
class GradingReportAdmin(admin.ModelAdmin):
    """The history is a record: shown, never edited."""

    list_display = [
        "submission",
        "judging",
        "status",
        "score",
        "origin",
        "bundle_hash",
        "finished_at",
    ]
    list_filter = ["status", "origin"]
    search_fields = ["submission__owner__username", "bundle_hash", "grader_version"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
