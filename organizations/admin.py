from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from . import services
from .models import AccessRefusal, AuditEntry, Membership, Organization, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "kind", "parent", "depth", "order"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "created_at"]
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: Organization, form, change: bool) -> None:
        # The tree's paths are kept by the services; the admin goes through them too.
        if not change:
            created = services.organization_create(
                name=obj.name,
                code=obj.code,
                kind=obj.kind,
                parent=obj.parent,
                short_name=obj.short_name,
                order=obj.order,
                actor=request.user,
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            return
        if "parent" in form.changed_data:
            services.organization_move(organization=obj, new_parent=obj.parent, actor=request.user)
        services.organization_update(
            actor=request.user,
            organization=obj,
            name=obj.name,
            short_name=obj.short_name,
            code=obj.code,
            kind=obj.kind,
            order=obj.order,
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "real_name", "phone", "email", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "real_name", "phone", "email"]
    list_filter = ["is_active", "is_staff", "is_superuser", "memberships__role"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("联系方式", {"fields": ("real_name", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("联系方式", {"fields": ("real_name", "phone")}),
    )
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "title", "created_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__real_name", "organization__name", "organization__code"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr", "organization"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "actor__username", "actor__real_name"]
    list_select_related = ["actor", "organization"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # The trail is append-only, even for the platform admin.
        return False


@admin.register(AccessRefusal)
class AccessRefusalAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "status", "method", "path", "organization"]
    list_filter = ["status", "method"]
    search_fields = ["path", "actor__username", "actor__real_name"]
    list_select_related = ["actor", "organization"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
