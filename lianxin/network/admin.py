"""Admin pages for the registry (for superusers; daily work goes through the app's pages)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lianxin.network.actions import do_change_equipment_status, do_register_equipment
from lianxin.network.models import (
    Agreement,
    Capability,
    Community,
    CommunityMember,
    Department,
    Equipment,
    EquipmentStatusChange,
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


class EquipmentStatusChangeInline(admin.TabularInline):
    """The status history, read-only: it grows when the status changes, never by hand."""

    model = EquipmentStatusChange
    fields = ["changed_at", "status", "changed_by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EquipmentAdminForm(forms.ModelForm):
    class Meta:
        model = Equipment
        fields = [
            "institution",
            "department",
            "capability",
            "name",
            "model_name",
            "serial_number",
            "status",
            "installed_on",
        ]

    def clean(self):
        data = super().clean()
        department, institution = data.get("department"), data.get("institution")
        if (
            department is not None
            and institution is not None
            and department.institution_id != institution.pk
        ):
            self.add_error("department", _("The department belongs to another institution."))
        return data


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    """Registration and status changes go through the registry's actions, so the status
    history and the audit log are written here as on the pages and the API."""

    form = EquipmentAdminForm
    list_display = ["name", "institution", "capability", "status", "installed_on"]
    list_filter = ["status", "capability"]
    search_fields = ["name", "serial_number", "institution__name"]
    raw_id_fields = ["institution", "department"]
    inlines = [EquipmentStatusChangeInline]

    def save_model(self, request, obj, form, change):
        if not change:
            created = do_register_equipment(
                actor=request.user,
                institution=obj.institution,
                capability=obj.capability,
                name=obj.name,
                model_name=obj.model_name,
                serial_number=obj.serial_number,
                department=obj.department,
                status=obj.status,
                installed_on=obj.installed_on,
            )
            obj.pk, obj.external_id = created.pk, created.external_id
            obj.created_at, obj.updated_at = created.created_at, created.updated_at
            obj._state.adding = False
            return
        new_status = obj.status
        if "status" in form.changed_data:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if new_status != obj.status:
            do_change_equipment_status(actor=request.user, equipment=obj, status=new_status)
            obj.refresh_from_db()
