from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import CalendarDay, Notice, NotificationPreference, Outbox, RobotConfig


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The 法定节假日 / 调休 table: editable here because an intranet cannot update a package every December."""

    list_display = ["date", "is_workday", "name", "source"]
    readonly_fields = ["source"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name", "date"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: CalendarDay, form, change: bool) -> None:
        # An edit in the admin is the site's word: it becomes "manual" and seed_calendar never overwrites it.
        saved = services.calendar_day_set(
            day=obj.date, is_workday=obj.is_workday, name=obj.name, source="manual", replacing=obj.pk
        )
        obj.pk, obj.source = saved.pk, saved.source


@admin.register(RobotConfig)
class RobotConfigAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "vendor", "enabled", "paused_until"]
    list_filter = ["vendor", "enabled"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization"]
    exclude = ["secret"]
    readonly_fields = ["created_at"]


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule", "channel", "recipient", "robot", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["rule", "title", "recipient__username", "recipient__real_name", "period"]
    raw_id_fields = ["recipient", "robot", "organization"]
    readonly_fields = [f.name for f in Outbox._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "user__username", "user__real_name"]
    raw_id_fields = ["user", "outbox"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel", "enabled"]
    list_filter = ["kind", "channel", "enabled"]
    search_fields = ["user__username", "user__real_name"]
    raw_id_fields = ["user"]
