"""Admin pages for people (for superusers; daily work goes through the app's pages)."""

from django.contrib import admin

from lianxin.workforce.models import Credential, Membership, Practitioner, Specialty


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    raw_id_fields = ["granted_by"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "profession", "institution", "department", "is_active"]
    list_filter = ["title", "profession", "is_active"]
    search_fields = ["name", "licence_number", "institution__name"]
    raw_id_fields = ["institution", "department", "user"]
    filter_horizontal = ["specialties"]
    inlines = [CredentialInline]


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "institution", "role", "department", "is_active", "valid_until"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "institution__name"]
    raw_id_fields = ["user", "institution", "department"]
