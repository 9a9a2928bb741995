"""Admin pages for the registry (for superusers; daily work goes through the app's pages)."""

from django.contrib import admin

from lianxin.network.models import (
    Agreement,
    Capability,
    Community,
    CommunityMember,
    Department,
    Equipment,
    Institution,
)


class CommunityMemberInline(admin.TabularInline):
    model = CommunityMember
    fk_name = "community"
    raw_id_fields = ["member_institution", "member_community"]
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "lead", "division_code"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["lead"]
    inlines = [CommunityMemberInline]


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "tier", "division_code", "beds", "is_active"]
    list_filter = ["tier", "is_active"]
    search_fields = ["name", "short_name", "code", "division_code"]
    raw_id_fields = ["parent"]
    readonly_fields = ["external_id", "created_at", "updated_at"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "institution", "kind", "centre_type", "is_active"]
    list_filter = ["kind", "centre_type"]
    search_fields = ["name", "code", "institution__name"]
    raw_id_fields = ["institution"]


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["party_a", "party_b", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    raw_id_fields = ["party_a", "party_b", "community"]


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "category", "source"]
    list_filter = ["kind", "category"]
    search_fields = ["code", "name"]
    filter_horizontal = ["requires"]


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "capability", "status", "installed_on"]
    list_filter = ["status", "capability"]
    search_fields = ["name", "serial_number", "institution__name"]
    raw_id_fields = ["institution", "department"]
