from django.db import migrations

# LOINC codes of the catalogue's analytes at the time of this migration (diagnostics.rules).
LOINC = {
    "WBC": "6690-2",
    "HGB": "718-7",
    "PLT": "777-3",
    "ALT": "1742-6",
    "AST": "1920-8",
    "TBIL": "14631-6",
    "K": "2823-3",
    "NA": "2951-2",
    "GLU": "2345-7",
    "CTNI": "10839-9",
}


def add(apps, schema_editor):
    mapping = apps.get_model("interfaces", "AnalyteMapping")
    for analyte, code in LOINC.items():
        mapping.objects.get_or_create(
            peer=None,
            coding_system="LN",
            code=code,
            defaults={"analyte": analyte, "note": f"LOINC {code}"},
        )


class Migration(migrations.Migration):
    dependencies = [("interfaces", "0002_hl7")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
