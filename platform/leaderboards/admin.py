from django.contrib import admin

from leaderboards.models import LeaderboardEntry


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(admin.ModelAdmin):
    list_display = ["assignment", "user", "public_score", "private_score", "updated_at"]
    list_filter = ["assignment"]
