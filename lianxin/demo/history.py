"""Demo step "audit": the audit rows of the history the other steps generated.

The steps write years of referrals, exams and registrations directly (``bulk_create``, for speed),
so the actions' audit rows are not written one by one. This step writes them afterwards, in time
order and hash-chained like any other row (``audit.record_many``): every workflow transition of
every item (created, received, accepted … with the acting user and institution), every
resident's registration at their home institution, and the network results linked to referrals.
The audit page then shows the county's history and ``lianxin audit verify`` checks every row of
it.
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


def _linked_result_entries() -> list[dict[str, Any]]:
    """One row per referral that links network results (as ``do_create_referral`` writes)."""
    from lianxin.referrals.models import ReferralResult

    grouped: dict[Any, dict[str, Any]] = {}
    rows = ReferralResult.objects.order_by("referral_id", "order__signed_at").values_list(
        "referral__external_id",
        "referral__requester_institution_id",
        "linked_by_id",
        "linked_by__username",
        "created_at",
        "order__accession_number",
    )
    for referral, institution, actor, username, at, accession in rows.iterator(chunk_size=5000):
        entry = grouped.setdefault(
            referral,
            {
                "at": at,
                "action": "referrals.referral.link_results",
                "actor_id": actor,
                "actor_label": username,
                "institution": institution,
                "target_type": "referrals.referral",
                "target_id": referral,
                "before": None,
                "after": {"results": []},
            },
        )
        entry["after"]["results"].append(accession)
    return list(grouped.values())


def build_audit_history(county: Any) -> int:
    return audit.record_many(
        _registration_entries() + _transition_entries() + _linked_result_entries()
    )
