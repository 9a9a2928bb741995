"""Administrators edit the exam catalogue's prices, the recognition rules (provincial rules
vary), service agreements and duty phone lists here."""

from django.contrib import admin

from lianxin.diagnostics.models import (
    DutyPhone,
    ExamItem,
    RecognitionRule,
    ServiceAgreement,
)


@admin.register(ExamItem)
class ExamItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "centre_type", "modality", "price", "is_active"]
    list_filter = ["centre_type", "is_active"]
    search_fields = ["code", "name"]


@admin.register(RecognitionRule)
class RecognitionRuleAdmin(admin.ModelAdmin):
    list_display = ["exam", "validity_days", "scope", "requires_qc", "is_active", "source"]
    list_filter = ["scope", "is_active"]
    list_editable = ["validity_days", "scope", "requires_qc", "is_active"]


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(admin.ModelAdmin):
    list_display = ["site", "centre", "centre_type", "exam", "starts_on", "ends_on", "is_active"]
    list_filter = ["centre_type", "is_active"]
    raw_id_fields = ["site", "centre"]


@admin.register(DutyPhone)
class DutyPhoneAdmin(admin.ModelAdmin):
    list_display = ["institution", "label", "phone", "is_active"]
    raw_id_fields = ["institution"]
