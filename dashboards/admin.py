from django.contrib import admin

from .models import Bulletin, Supervision, Threshold, UnitSnapshot


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


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ("unit", "office", "measure", "deadline", "status", "issued_at")
    list_filter = ("status", "measure")
    search_fields = ("unit__name", "request_text", "answer_text")
    raw_id_fields = ("office", "unit", "issued_by", "answered_by", "closed_by")
    filter_horizontal = ("tasks",)


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ("office", "month", "status", "publish_ranking", "published_at")
    list_filter = ("status", "publish_ranking")
    search_fields = ("office__name", "notes")
    raw_id_fields = ("office", "created_by")
