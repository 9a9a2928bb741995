"""The analyte code mapping: LOINC codes of the catalogue's analytes, shared by every
laboratory system, are filled in from ``diagnostics.rules.ANALYTES``; a laboratory's local codes
are added by the administrators (admin: analyte code mappings)."""

from __future__ import annotations

from lianxin.diagnostics.rules import ANALYTES
from lianxin.interfaces.models import AnalyteMapping

LOINC = "LN"


def sync_default_mappings() -> int:
    """Add the LOINC mapping of every catalogue analyte that has none; returns how many."""
    existing = set(
        AnalyteMapping.objects.filter(peer__isnull=True, coding_system=LOINC).values_list(
            "code", flat=True
        )
    )
    rows = [
        AnalyteMapping(
            coding_system=LOINC, code=spec.loinc, analyte=code, note=f"LOINC {spec.loinc}"
        )
        for code, spec in ANALYTES.items()
        if spec.loinc and spec.loinc not in existing
    ]
    AnalyteMapping.objects.bulk_create(rows)
    return len(rows)
