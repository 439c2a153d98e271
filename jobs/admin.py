"""Admin pages of jobs: for platform staff to look rows up; changes go through the 后台任务 pages."""

from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["pk", "title", "kind", "status", "progress", "attempt", "started_by", "organization", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "kind", "started_by__username", "organization__name"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
