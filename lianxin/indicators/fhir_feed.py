"""Feeds sent as FHIR R4 bundles: ``Encounter`` resources (encounters) and
``ExplanationOfBenefit`` resources (settlements: the adjudicated claim carries both the total
cost and what the fund paid; a bare ``Claim`` carries no payment and is refused with that reason).

The bundle is validated with fhir.resources (R4B) and turned into the same rows as a CSV feed,
checked against the same rules; the per-row report numbers the bundle's entries from 1.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as PydanticError

from lianxin.core.imports import CellError, ImportReport, RowResult, Status
from lianxin.indicators.feeds import Context
from lianxin.indicators.models import (
    EncounterKind,
    EncounterRecord,
    FeedKind,
    SettlementPlace,
    SettlementRecord,
)

# FHIR v3-ActCode classes of an Encounter (http://terminology.hl7.org/CodeSystem/v3-ActCode).
INPATIENT_CLASSES = {"IMP", "ACUTE", "NONAC"}
OUTPATIENT_CLASSES = {"AMB", "EMER", "VR", "HH", "FLD"}
# How a sender marks a TCM encounter: a serviceType coding with this code or display.
TCM_CODES = {"tcm", "中医", "中医类"}
PHARMACY_TYPES = {"pharmacy"}  # ExplanationOfBenefit.type (claim-type code system)
INPATIENT_SUBTYPES = {"inpatient", "institutional"}
MAX_ENTRIES = 200_000


def _organization_code(reference: Any) -> str:
    """``Organization/350426101`` or an identifier value → the institution code."""
    if reference is None:
        return ""
    if getattr(reference, "identifier", None) is not None and reference.identifier.value:
        return reference.identifier.value
    ref = getattr(reference, "reference", None) or ""
    return ref.split("/", 1)[1] if ref.startswith("Organization/") else ""


def _day(value: Any) -> Any:
    if value is None:
        raise CellError(_("The resource gives no date."))
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _codes(concepts: Any) -> set[str]:
    out = set()
    for concept in concepts or []:
        for coding in getattr(concept, "coding", None) or []:
            out |= {str(coding.code or "").lower(), str(coding.display or "").lower()}
        if getattr(concept, "text", None):
            out.add(concept.text.lower())
    return out


def _encounter(resource: Any, ctx: Context) -> EncounterRecord:
    cls = (resource.class_fhir.code or "").upper() if resource.class_fhir else ""
    if cls in INPATIENT_CLASSES:
        kind = EncounterKind.INPATIENT
    elif cls in OUTPATIENT_CLASSES:
        kind = EncounterKind.OUTPATIENT
    else:
        raise CellError(
            _("Encounter.class %(code)s is neither outpatient nor inpatient.")
            % {"code": cls or "—"}
        )
    start = resource.period.start if resource.period else None
    service = _codes([resource.serviceType] if resource.serviceType else [])
    return EncounterRecord(
        institution=ctx.institution(_organization_code(resource.serviceProvider)),
        on=ctx.day(_day(start)),
        kind=kind,
        is_tcm=bool(service & TCM_CODES),
        count=1,
    )


def _settlement(resource: Any, ctx: Context) -> SettlementRecord:
    types = _codes([resource.type] if resource.type else [])
    subtypes = _codes([resource.subType] if resource.subType else [])
    code = _organization_code(resource.provider)
    if types & PHARMACY_TYPES:
        place, institution, name = SettlementPlace.PHARMACY, None, ""
    elif code in ctx.institutions:
        place, institution, name = SettlementPlace.IN_COUNTY, ctx.institution(code), ""
    else:
        name = (getattr(resource.provider, "display", None) or code or "").strip()
        if not name:
            raise CellError(_("ExplanationOfBenefit.provider names no institution."))
        place, institution = SettlementPlace.OUT_OF_COUNTY, None
    total = next((t.amount.value for t in resource.total or [] if t.amount), None)
    paid = resource.payment.amount.value if resource.payment and resource.payment.amount else None
    if total is None or paid is None:
        raise CellError(_("The resource needs total.amount and payment.amount."))
    if total < 0 or paid < 0:
        raise CellError(_("An amount cannot be negative."))
    period = resource.billablePeriod.start if resource.billablePeriod else resource.created
    return SettlementRecord(
        on=ctx.day(_day(period)),
        place=place,
        institution=institution,
        place_name=name[:120],
        is_inpatient=bool((types | subtypes) & INPATIENT_SUBTYPES),
        cases=1,
        total_cost=total,
        fund_paid=paid,
    )


READERS = {
    FeedKind.ENCOUNTERS: ("Encounter", _encounter),
    FeedKind.SETTLEMENTS: ("ExplanationOfBenefit", _settlement),
}


def read_bundle(
    kind: str, data: bytes, filename: str, ctx: Context
) -> tuple[ImportReport, list[Any]]:
    report = ImportReport(kind=f"feed:{kind}", filename=filename)
    if kind not in READERS:
        report.file_errors.append(
            _("FHIR bundles are accepted for encounters and settlements only.")
        )
        return report, []
    wanted, build = READERS[kind]
    try:
        bundle = Bundle.model_validate_json(data)
    except (PydanticError, ValueError) as exc:
        first = str(exc).splitlines()[0:3]
        report.file_errors.append(
            _("Not a valid FHIR R4 Bundle: %(error)s") % {"error": " ".join(first)[:300]}
        )
        return report, []
    entries = bundle.entry or []
    if len(entries) > MAX_ENTRIES:
        report.file_errors.append(
            _("The bundle has more than %(max)d entries; split it.") % {"max": MAX_ENTRIES}
        )
        return report, []
    rows = []
    for number, entry in enumerate(entries, start=1):
        resource = entry.resource
        name = resource.get_resource_type() if resource is not None else ""
        if name == "Claim" and wanted == "ExplanationOfBenefit":
            report.rows.append(
                RowResult(
                    number,
                    Status.ERROR,
                    name,
                    [
                        (
                            "",
                            _(
                                "A Claim carries no payment: send the ExplanationOfBenefit "
                                "(the adjudicated claim)."
                            ),
                        )
                    ],
                )
            )
            continue
        if name != wanted:
            report.rows.append(
                RowResult(
                    number,
                    Status.ERROR,
                    name,
                    [
                        (
                            "",
                            _("Expected %(wanted)s, found %(found)s.")
                            % {"wanted": wanted, "found": name or "—"},
                        )
                    ],
                )
            )
            continue
        try:
            rows.append(build(resource, ctx))
            report.rows.append(RowResult(number, Status.CREATED, f"{name}/{resource.id or ''}"))
        except CellError as exc:
            report.rows.append(
                RowResult(number, Status.ERROR, f"{name}/{resource.id or ''}", [("", str(exc))])
            )
    return report, rows
