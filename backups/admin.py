from django.contrib import admin

from .models import FileCheck


@admin.register(FileCheck)
class FileCheckAdmin(admin.ModelAdmin):
    list_display = ["checked_at", "files_referenced", "files_on_disk", "missing", "corrupted", "orphaned", "seconds"]
    list_filter = ["checked_at"]
    readonly_fields = [f.name for f in FileCheck._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
