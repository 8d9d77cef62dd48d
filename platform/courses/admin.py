from django.contrib import admin

from courses.models import Assignment, Course, HiddenDataset, Week


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
        "opens_at",
        "deadline",
        "public",
        "private_revealed",
        "gpu",
    ]
    list_filter = ["week", "kind", "public", "private_revealed"]
    list_editable = ["private_revealed"]


@admin.register(HiddenDataset)
class HiddenDatasetAdmin(admin.ModelAdmin):
    list_display = ["assignment", "content_hash", "built_at"]
    readonly_fields = ["assignment", "content_hash", "path", "built_at"]
