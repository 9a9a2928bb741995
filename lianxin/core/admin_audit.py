"""Django admin pages whose saves write the audit log: every add, change and delete of the row
(and of its inline rows) with before and after, in the same transaction as the save."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from lianxin.core import audit


def _fields(obj) -> dict[str, str]:
    return {k: str(v) for k, v in model_to_dict(obj).items()}


class AuditedAdmin(admin.ModelAdmin):
    audit_action = ""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = None
            if change:
                old = type(obj).objects.get(pk=obj.pk)
                before = _fields(old)
            super().save_model(request, obj, form, change)
            audit.record(
                f"{self.audit_action}.{'change' if change else 'add'}",
                actor=request.user,
                target=obj,
                before=before,
                after=_fields(obj),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(
                f"{self.audit_action}.delete",
                actor=request.user,
                target=obj,
                before=_fields(obj),
            )
            super().delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        # Inline rows (a package's items): each added, changed or deleted one gets its row,
        # on the parent as target.
        with transaction.atomic():
            deleted = [_fields(obj) for obj in formset.deleted_objects] if change else []
            super().save_formset(request, form, formset, change)
            rows = {
                "added": [_fields(obj) for obj in formset.new_objects],
                "changed": [_fields(obj) for obj, _names in formset.changed_objects],
                "deleted": deleted,
            }
            if any(rows.values()):
                audit.record(
                    f"{self.audit_action}.items",
                    actor=request.user,
                    target=form.instance,
                    after=rows,
                )
