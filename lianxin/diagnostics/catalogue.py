"""Syncing the exam catalogue and default recognition rules from ``rules.py`` into the tables.

Used by the data migration (with historical models) and after a database flush (tests with
real transactions, ``lianxin demo --reset``). Prices and recognition rules are created once and
then belong to the administrators, so a later sync never overwrites them.
"""

from __future__ import annotations

from typing import Any

from lianxin.diagnostics.rules import EXAMS, RECOGNITION_RULES


def sync_catalogue(exam_model: Any = None, rule_model: Any = None) -> int:
    """Create missing exam items and rules, refresh names and centre types; returns items."""
    if exam_model is None or rule_model is None:
        from lianxin.diagnostics.models import ExamItem, RecognitionRule

        exam_model, rule_model = ExamItem, RecognitionRule
    for spec in EXAMS:
        item, created = exam_model.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "centre_type": spec.centre_type,
                "modality": spec.modality,
                "price": spec.price,
                "is_urgent": spec.urgent,
                "source": spec.source,
            },
        )
        if not created:
            item.name, item.centre_type, item.modality = spec.name, spec.centre_type, spec.modality
            item.is_urgent = spec.urgent
            item.save(update_fields=["name", "centre_type", "modality", "is_urgent"])
    for rule in RECOGNITION_RULES:
        rule_model.objects.get_or_create(
            exam=exam_model.objects.get(code=rule.exam),
            defaults={
                "validity_days": rule.validity_days,
                "scope": rule.scope,
                "requires_qc": rule.requires_qc,
                "conditions": rule.conditions,
                "source": rule.source,
            },
        )
    return len(EXAMS)
