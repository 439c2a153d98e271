from django.contrib import admin

from .models import ServiceActivity, ServiceRecord, StaffCount, Volunteer, VolunteerTargets


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "number", "is_registered", "is_active"]
    list_filter = ["is_registered", "is_active"]
    search_fields = ["name", "number", "phone"]
    raw_id_fields = ["organization", "user"]


@admin.register(StaffCount)
class StaffCountAdmin(admin.ModelAdmin):
    list_display = ["organization", "year", "count"]
    list_filter = ["year"]
    raw_id_fields = ["organization"]


@admin.register(VolunteerTargets)
class VolunteerTargetsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "registration_rate", "hours_per_volunteer", "activities_per_year"]
    search_fields = ["campaign__title"]


@admin.register(ServiceActivity)
class ServiceActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "date", "organization", "category"]
    list_filter = ["category"]
    search_fields = ["title"]
    raw_id_fields = ["organization", "event", "created_by"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(admin.ModelAdmin):
    list_display = ["volunteer", "activity", "hours", "status"]
    list_filter = ["status"]
    raw_id_fields = ["volunteer", "activity", "confirmed_by", "created_by"]
