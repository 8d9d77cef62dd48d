from django.contrib import admin

from leaderboards.models import LeaderboardEntry, RankReview


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(admin.ModelAdmin):
    list_display = ["assignment", "user", "public_score", "private_score", "updated_at"]
    list_filter = ["assignment"]


@admin.register(RankReview)
class RankReviewAdmin(admin.ModelAdmin):
    """Read-only: decisions are made on the dashboard's review queue and form its audit trail."""

    list_display = ["submission", "decision", "decided_by", "decided_at"]
    list_filter = ["decision"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
