"""Administrators register laboratory systems and edit the analyte code mapping here; every
change of a mapping is written to the audit log with before and after."""

from __future__ import annotations

from django.contrib import admin

from lianxin.core.admin_audit import AuditedAdmin
from lianxin.interfaces.models import AnalyteMapping, Hl7Peer


@admin.register(Hl7Peer)
class Hl7PeerAdmin(AuditedAdmin):
    audit_action = "interfaces.hl7peer"
    list_display = [
        "name",
        "sending_application",
        "sending_facility",
        "institution",
        "order_message",
        "order_host",
        "order_port",
        "is_active",
    ]
    raw_id_fields = ["institution", "user"]


@admin.register(AnalyteMapping)
class AnalyteMappingAdmin(AuditedAdmin):
    audit_action = "interfaces.analytemapping"
    list_display = ["code", "coding_system", "analyte", "peer", "is_active", "note"]
    list_filter = ["peer", "coding_system", "is_active"]
    list_editable = ["analyte", "is_active"]
    search_fields = ["code", "note"]
