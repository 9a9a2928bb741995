"""Demo step "audit": the audit rows of the history the other steps generated.

The steps write years of referrals, exams and registrations directly (``bulk_create``, for speed),
so the actions' audit rows are not written one by one. This step writes them afterwards, in time
order and hash-chained like any other row (``audit.record_many``): every workflow transition of
every item (created, received, accepted … with the acting user and institution), and every
resident's registration at their home institution. The audit page then shows the county's
history and ``lianxin audit verify`` checks every row of it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Min

from lianxin.core import audit
from lianxin.core.workflow.models import TransitionRecord
from lianxin.patients.models import Patient, PatientIdentifier


def _transition_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for model in apps.get_models():
        if not issubclass(model, TransitionRecord):
            continue
        item_model = model._meta.get_field("item").related_model
        label = item_model._meta.label_lower
        rows = model.objects.values_list(
            "item__external_id",
            "name",
            "from_status",
            "to_status",
            "business_status",
            "version",
            "actor_id",
            "actor__username",
            "acting_institution_id",
            "at",
            "reason",
            "escalation_level",
        )
        for (
            item_id,
            name,
            from_status,
            to_status,
            business,
            version,
            actor_id,
            username,
            institution,
            at,
            reason,
            level,
        ) in rows.iterator(chunk_size=5000):
            created = not from_status
            after = {"status": to_status, "business_status": business, "version": version}
            if reason:
                after["reason"] = reason
            if level:
                after["escalation_level"] = level
            entries.append(
                {
                    "at": at,
                    "action": f"{label}.{'create' if created else name}",
                    "actor_id": actor_id,
                    "actor_label": username or "system",
                    "institution": institution,
                    "target_type": label,
                    "target_id": item_id,
                    "before": None if created else {"status": from_status},
                    "after": after,
                }
            )
    return entries


def _registration_entries() -> list[dict[str, Any]]:
    home = dict(
        PatientIdentifier.objects.values("patient_id")
        .annotate(first=Min("institution_id"))
        .values_list("patient_id", "first")
    )
    entries = []
    rows = Patient.objects.values_list(
        "pk", "external_id", "name", "sex", "birth_date", "id_number", "created_at"
    )
    for pk, external_id, name, sex, birth, id_number, created in rows.iterator(chunk_size=5000):
        entries.append(
            {
                "at": created,
                "action": "patient.register",
                "actor_label": "lianxin demo",
                "institution": home.get(pk),
                "target_type": "patients.patient",
                "target_id": external_id,
                # record_many masks the ID number, as record does.
                "after": {
                    "name": name,
                    "sex": sex,
                    "birth_date": birth.isoformat() if birth else None,
                    "id_number": id_number,
                },
            }
        )
    return entries


def build_audit_history(county: Any) -> int:
    return audit.record_many(_registration_entries() + _transition_entries())
