from django.contrib import admin

from leaderboards.models import Baseline, BoardSettings, LeaderboardEntry, Pseudonym, RankReview


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


@admin.register(BoardSettings)
class BoardSettingsAdmin(admin.ModelAdmin):
    """Whether a course's public boards show pseudonyms (mentors always see real names)."""

    list_display = ["course", "pseudonyms"]


@admin.register(Pseudonym)
class PseudonymAdmin(admin.ModelAdmin):
    """Drawn once per mentee and course; read-only, so a name once shown never changes."""

    list_display = ["course", "name", "user"]
    list_filter = ["course"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    """Set by ``manage.py grade_baselines``; shown for the record."""

    list_display = ["assignment", "submission", "bundle_hash", "created_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
