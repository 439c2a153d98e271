from django.contrib import admin

from .models import Threshold, UnitSnapshot


@admin.register(UnitSnapshot)
class UnitSnapshotAdmin(admin.ModelAdmin):
    list_display = ("unit", "date", "campaign_title", "created_at")
    list_filter = ("date",)
    search_fields = ("unit__name", "campaign_title")
    date_hierarchy = "date"
    raw_id_fields = ("unit",)


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("office", "measure", "green", "red", "updated_at")
    list_filter = ("measure",)
    search_fields = ("office__name",)
