from django.contrib import admin

from .models import Campaign, LeadershipMember, Phase, ProgressReport, ReminderSettings, Task, Urge


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class LeadershipInline(admin.TabularInline):
    model = LeadershipMember
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "level", "start_year", "end_year", "status"]
    list_filter = ["level", "status", "start_year"]
    search_fields = ["title", "unit__name"]
    autocomplete_fields = ["unit", "created_by"]
    inlines = [PhaseInline, LeadershipInline]


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "start", "end", "order"]
    search_fields = ["name", "campaign__title"]
    list_select_related = ["campaign"]


@admin.register(LeadershipMember)
class LeadershipMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "campaign", "duty"]
    list_filter = ["role"]
    search_fields = ["name", "duty", "campaign__title"]
    list_select_related = ["campaign"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "campaign", "status", "progress", "due_date"]
    list_filter = ["status", "recurrence"]
    search_fields = ["number", "title", "content"]
    list_select_related = ["campaign"]
    raw_id_fields = ["parent", "phase"]
    autocomplete_fields = ["lead_units", "cooperating_units", "responsible_people"]


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["task", "organization", "author", "percent", "reported_on"]
    list_filter = ["reported_on"]
    search_fields = ["text", "task__title"]
    list_select_related = ["task", "organization", "author"]
    raw_id_fields = ["task"]
    autocomplete_fields = ["organization", "author"]


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "due_soon_days", "overdue_repeat_days", "escalate_office_days", "digest_enabled"]
    list_filter = ["digest_enabled", "overdue_enabled", "due_soon_enabled"]
    search_fields = ["campaign__title"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign", "updated_by"]


@admin.register(Urge)
class UrgeAdmin(admin.ModelAdmin):
    list_display = ["on_date", "campaign", "content_type", "object_id", "urged_by", "recipient_count", "text"]
    list_filter = ["on_date", "content_type"]
    search_fields = ["text", "campaign__title"]
    list_select_related = ["campaign", "urged_by", "content_type"]
    raw_id_fields = ["campaign", "urged_by"]
