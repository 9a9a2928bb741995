"""Admin pages for the county's service-package catalogue (for superusers; teams and contracts
go through the app's pages). ``lianxin family_doctor_packages`` loads the default list. Every
save is written to the audit log."""

from django.contrib import admin

from lianxin.core.admin_audit import AuditedAdmin
from lianxin.primarycare.models import PackageItem, ServicePackage


class PackageItemInline(admin.TabularInline):
    model = PackageItem
    extra = 0


@admin.register(ServicePackage)
class ServicePackageAdmin(AuditedAdmin):
    audit_action = "primarycare.servicepackage"
    list_display = ["code", "name", "kind", "fee", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    inlines = [PackageItemInline]
