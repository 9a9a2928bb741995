"""Administrators register laboratory systems and edit the analyte code mapping here; every
change of a mapping is written to the audit log with before and after."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from lianxin.core import audit
from lianxin.interfaces.models import AnalyteMapping, Hl7Peer


class AuditedAdmin(admin.ModelAdmin):
    audit_action = ""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = None
            if change:
                old = type(obj).objects.get(pk=obj.pk)
                before = {k: str(v) for k, v in model_to_dict(old).items()}
            super().save_model(request, obj, form, change)
            audit.record(
                f"{self.audit_action}.{'change' if change else 'add'}",
                actor=request.user,
                target=obj,
                before=before,
                after={k: str(v) for k, v in model_to_dict(obj).items()},
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(
                f"{self.audit_action}.delete",
                actor=request.user,
                target=obj,
                before={k: str(v) for k, v in model_to_dict(obj).items()},
            )
            super().delete_model(request, obj)


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
