from django.contrib import admin

from courses.models import (
    Assignment,
    AuditEvent,
    Course,
    DeadlineExtension,
    HiddenDataset,
    LateMark,
    Week,
)
from courses.setup import SETTING_FIELDS, record


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "public"]


@admin.register(Week)
class WeekAdmin(admin.ModelAdmin):
    list_display = ["course", "number", "title"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "week",
        "kind",
        "published",
        "opens_at",
        "deadline",
        "late_policy",
        "public",
        "private_revealed",
        "gpu",
    ]
    list_filter = ["week", "kind", "published", "public", "private_revealed"]
    list_editable = ["private_revealed"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """A change made here is audited like one made on the dashboard."""
        if change:
            before = Assignment.objects.get(pk=obj.pk)
            for name in (*SETTING_FIELDS, "private_revealed"):
                old, new = getattr(before, name), getattr(obj, name)
                if old != new:
                    record(request.user, obj, name, old, new)
        super().save_model(request, obj, form, change)


@admin.register(HiddenDataset)
class HiddenDatasetAdmin(admin.ModelAdmin):
    list_display = ["assignment", "content_hash", "built_at"]
    readonly_fields = ["assignment", "content_hash", "path", "built_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: records of what happened, and what the dashboard changes with
    its audit trail."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "subject", "field", "old_value", "new_value"]
    list_filter = ["field", "assignment"]


@admin.register(LateMark)
class LateMarkAdmin(ReadOnlyAdmin):
    list_display = ["submission", "days_late", "deadline"]


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(ReadOnlyAdmin):
    """Granted and withdrawn on the dashboard's set-up page, where each change is audited."""

    list_display = ["assignment", "user", "until", "granted_by", "granted_at"]
    list_filter = ["assignment"]
