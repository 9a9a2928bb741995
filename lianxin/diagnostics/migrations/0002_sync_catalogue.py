"""Sync the exam catalogue and the default recognition rules from ``rules.py``.

Prices and recognition rules are created once and then belong to the administrators (provincial
price lists and recognition rules differ), so a later sync never overwrites them.
"""

from django.db import migrations


def sync(apps, schema_editor):
    from lianxin.diagnostics.rules import EXAMS, RECOGNITION_RULES

    ExamItem = apps.get_model("diagnostics", "ExamItem")
    RecognitionRule = apps.get_model("diagnostics", "RecognitionRule")
    for spec in EXAMS:
        item, created = ExamItem.objects.get_or_create(
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
        RecognitionRule.objects.get_or_create(
            exam=ExamItem.objects.get(code=rule.exam),
            defaults={
                "validity_days": rule.validity_days,
                "scope": rule.scope,
                "requires_qc": rule.requires_qc,
                "conditions": rule.conditions,
                "source": rule.source,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
