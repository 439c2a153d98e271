from django.contrib import admin

from .models import Deletion


@admin.register(Deletion)
class DeletionAdmin(admin.ModelAdmin):
    """Read only: restoring and emptying go through the 回收站 page and its services."""

    list_display = ["deleted_at", "kind", "title", "unit", "deleted_by"]
    list_filter = ["kind", "deleted_at"]
    search_fields = ["title", "object_id"]
    readonly_fields = [f.name for f in Deletion._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
