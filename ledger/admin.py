"""Admin pages of the ledger: for platform staff to look things up; writes go through the app's pages."""

from django.contrib import admin

from .models import (
    ArchiveBuild,
    ArchiveCounter,
    BannerAlias,
    Event,
    EventLog,
    EvidenceFile,
    LedgerSettings,
    MediaReport,
    PhotoCheck,
    PhotoDuplicate,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Dossiers change only through the services (numbers, completeness, the log stay consistent)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    model = EvidenceFile
    extra = 0
    fields = ["slot", "original_name", "detected_type", "size", "sha256", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["archive_number", "title", "organization", "start_date", "category", "status", "is_complete"]
    list_filter = ["status", "category", "is_complete", "is_late_entry"]
    search_fields = ["archive_number", "title", "place", "organization__name"]
    date_hierarchy = "start_date"
    inlines = [EvidenceInline]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "event", "slot", "detected_type", "size", "uploaded_at"]
    list_filter = ["slot", "detected_type"]
    search_fields = ["original_name", "sha256", "event__title"]


@admin.register(MediaReport)
class MediaReportAdmin(ReadOnlyAdmin):
    list_display = ["title", "outlet", "date", "event"]
    search_fields = ["title", "outlet", "event__title"]


@admin.register(LedgerSettings)
class LedgerSettingsAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "review_enabled", "max_file_mb", "max_dossier_mb"]
    list_filter = ["review_enabled"]
    search_fields = ["campaign__title"]


@admin.register(ArchiveCounter)
class ArchiveCounterAdmin(ReadOnlyAdmin):
    list_display = ["unit", "year", "last"]
    list_filter = ["year"]
    search_fields = ["unit__name", "unit__code"]


@admin.register(EventLog)
class EventLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "event", "actor", "note"]
    list_filter = ["action"]
    search_fields = ["note", "event__title"]


@admin.register(PhotoCheck)
class PhotoCheckAdmin(ReadOnlyAdmin):
    list_display = ["evidence_file", "unit", "time_mismatch", "ocr_status", "banner_unit_found", "seconds"]
    list_filter = ["ocr_status", "time_mismatch", "banner_unit_found", "banner_date_found"]
    search_fields = ["evidence_file__original_name", "ocr_text", "camera"]


@admin.register(PhotoDuplicate)
class PhotoDuplicateAdmin(ReadOnlyAdmin):
    list_display = ["first", "second", "phash_distance", "dhash_distance", "same_unit", "found_at"]
    list_filter = ["same_unit"]
    search_fields = ["first__original_name", "second__original_name"]


@admin.register(BannerAlias)
class BannerAliasAdmin(admin.ModelAdmin):
    """Aliases are kept by the 创建办 on the ledger's 横幅单位别名 page; staff may correct them here."""

    list_display = ["alias", "organization"]
    search_fields = ["alias", "organization__name"]


@admin.register(ArchiveBuild)
class ArchiveBuildAdmin(ReadOnlyAdmin):
    """Kept archive PDFs (归档文件): built by the archive_pdf job or `manage.py build_archive`, never edited."""

    list_display = ["filename", "campaign", "unit", "year", "version", "pages", "built_by", "built_at"]
    list_filter = ["year"]
    search_fields = ["filename", "sha256"]
