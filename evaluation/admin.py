from django.contrib import admin

from .models import (
    BonusClaim,
    BonusItem,
    CampaignSystem,
    ColumnMapping,
    Criterion,
    EvaluationSystem,
    Indicator,
    Item,
    NegativeDeclaration,
    NegativeListItem,
    RectificationItem,
    Score,
    SelfAssessment,
)


@admin.register(EvaluationSystem)
class EvaluationSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "year", "issuer", "total_points", "bonus_cap", "created_at"]
    search_fields = ["name", "issuer"]
    list_filter = ["level"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["system", "code", "name", "points"]
    search_fields = ["code", "name"]
    list_filter = ["system"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["system", "code", "name", "points"]
    search_fields = ["code", "name"]
    list_filter = ["system"]
    raw_id_fields = ["item"]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["system", "code", "text", "points", "style"]
    search_fields = ["code", "text"]
    list_filter = ["style", "system"]
    raw_id_fields = ["indicator"]
    exclude = ["tasks", "events"]


@admin.register(NegativeListItem)
class NegativeListItemAdmin(admin.ModelAdmin):
    list_display = ["system", "code", "text", "consequence", "deduct_points", "window_months"]
    search_fields = ["code", "text"]
    list_filter = ["consequence"]


@admin.register(BonusItem)
class BonusItemAdmin(admin.ModelAdmin):
    list_display = ["system", "code", "text", "max_points"]
    search_fields = ["code", "text"]
    list_filter = ["system"]


@admin.register(CampaignSystem)
class CampaignSystemAdmin(admin.ModelAdmin):
    list_display = ["campaign", "system", "created_at"]
    search_fields = ["campaign__title", "system__name"]
    list_filter = ["system"]


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "system", "date", "is_locked"]
    search_fields = ["name", "campaign__title"]
    list_filter = ["is_locked"]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["assessment", "criterion", "value", "updated_at"]
    search_fields = ["criterion__code", "comment"]
    list_filter = ["assessment__is_locked"]
    raw_id_fields = ["assessment", "criterion"]
    exclude = ["evidence_events"]


@admin.register(BonusClaim)
class BonusClaimAdmin(admin.ModelAdmin):
    list_display = ["assessment", "bonus_item", "points"]
    search_fields = ["bonus_item__text", "note"]
    raw_id_fields = ["assessment", "bonus_item"]


@admin.register(NegativeDeclaration)
class NegativeDeclarationAdmin(admin.ModelAdmin):
    list_display = ["assessment", "item", "occurred"]
    search_fields = ["item__text", "note"]
    list_filter = ["occurred"]
    raw_id_fields = ["assessment", "item"]


@admin.register(RectificationItem)
class RectificationItemAdmin(admin.ModelAdmin):
    list_display = ["problem", "campaign", "status", "deadline", "points_lost"]
    search_fields = ["problem", "measure", "responsible_person"]
    list_filter = ["status"]
    raw_id_fields = ["campaign", "assessment", "criterion"]
    exclude = ["responsible_units", "proof_events"]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "updated_by", "updated_at"]
    search_fields = ["signature"]
    readonly_fields = ["signature"]
