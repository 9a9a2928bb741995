"""Patients of the master patient index as Patient.

A read is the full record and writes the read-audit row. An entry of a search result is a list
row: the resident ID number is masked there (DESIGN §5) and the resource carries the
``REDACTED`` security label; a client reads the patient to get the number in clear.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from fhir.resources.R4B.patient import Patient as FhirPatient

from lianxin.interfaces.actions import record_patient_search
from lianxin.interfaces.fhir import rules
from lianxin.interfaces.fhir.builders import coding, identifier, phone, reference
from lianxin.interfaces.fhir.registry import BuildContext, SearchParam, register_resource
from lianxin.interfaces.fhir.resources.organization import NOTHING, string_param
from lianxin.interfaces.fhir.search import SearchError, date_lookup, parse_token
from lianxin.patients.actions import record_patient_read
from lianxin.patients.models import IdentifierKind, Patient, PatientIdentifier
from lianxin.patients.queries import normalise_id_number
from lianxin.patients.rules import normalise_phone

GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"


def _queryset():
    return Patient.objects.select_related("merged_into").prefetch_related(
        Prefetch(
            "identifiers",
            queryset=PatientIdentifier.objects.select_related("institution").order_by(
                "institution_id", "kind"
            ),
        ),
        Prefetch(
            "merged_from", queryset=Patient.objects.only("external_id", "name", "merged_into_id")
        ),
    )


def _record_number(row: PatientIdentifier) -> dict[str, Any]:
    institution = row.institution
    return identifier(
        rules.record_number_system(institution.code, row.kind),
        row.value,
        use="usual",
        type_code=rules.IDENTIFIER_TYPE_BY_KIND.get(row.kind),
        type_system=rules.IDENTIFIER_TYPE,
        assigner=reference("Organization", institution.external_id, institution.name),
    )


def patient_to_fhir(patient: Patient, context: BuildContext) -> FhirPatient:
    listed = context.mode == "search"
    identifiers = []
    if patient.id_number:
        identifiers.append(
            identifier(
                rules.RESIDENT_ID,
                patient.masked_id_number if listed else patient.id_number,
                use="official",
                type_code=rules.RESIDENT_ID_TYPE,
                type_system=rules.IDENTIFIER_TYPE,
            )
        )
    identifiers.extend(_record_number(row) for row in patient.identifiers.all())
    data: dict[str, Any] = {
        "id": str(patient.external_id),
        # A merged record stays readable as a pointer to its survivor (Patient.link).
        "active": patient.merged_into_id is None,
        "name": [{"use": "official", "text": patient.name}],
        "gender": rules.GENDER_BY_SEX.get(patient.sex, "unknown"),
        "birthDate": patient.birth_date,
    }
    if identifiers:
        data["identifier"] = identifiers
    if listed and patient.id_number:
        data["meta"] = {"security": [coding(rules.FHIR_SECURITY_LABEL, "REDACTED", "redacted")]}
    if patient.phone:
        data["telecom"] = [phone(patient.phone)]
    if patient.address:
        data["address"] = [{"use": "home", "text": patient.address}]
    if patient.deceased_on:
        data["deceasedDateTime"] = patient.deceased_on.isoformat()
    links = _links(patient)
    if links:
        data["link"] = links
    return FhirPatient(**data)


def _links(patient: Patient) -> list[dict[str, Any]]:
    """``replaced-by`` on a merged record, ``replaces`` on the survivor (FHIR R4 Patient.link)."""
    links = []
    if patient.merged_into_id is not None:
        survivor = patient.merged_into
        links.append(
            {
                "other": reference("Patient", survivor.external_id, survivor.name),
                "type": "replaced-by",
            }
        )
    for merged in patient.merged_from.all():
        links.append(
            {"other": reference("Patient", merged.external_id, merged.name), "type": "replaces"}
        )
    return links


def read_merged(user: Any, public_id: str) -> Patient | None:
    """A merged record, read through an old reference, for a user who may see its survivor."""
    with contextlib.suppress(ValueError, ValidationError):
        merged = Patient.objects.filter(external_id=public_id, merged_into__isnull=False).first()
        if merged is not None and (
            Patient.objects.visible_to(user).filter(pk=merged.survivor().pk).exists()
        ):
            return merged
    return None


def _by_identifier(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        system, code = parse_token(value)
        if system is None:
            others = PatientIdentifier.objects.filter(value=code).values("patient_id")
            condition |= Q(id_number=normalise_id_number(code)) | Q(pk__in=others)
        elif system == rules.RESIDENT_ID.uri:
            if code:
                condition |= Q(id_number=normalise_id_number(code))
            else:
                condition |= Q(id_number__isnull=False)
        elif system.startswith(rules.RECORD_NUMBER_PREFIX):
            institution_code, _, kind = system[len(rules.RECORD_NUMBER_PREFIX) :].rpartition(":")
            if kind not in IdentifierKind.values or not institution_code:
                continue
            rows = PatientIdentifier.objects.filter(institution__code=institution_code, kind=kind)
            if code:
                rows = rows.filter(value=code)
            condition |= Q(pk__in=rows.values("patient_id"))
    return condition or NOTHING


def _by_gender(values: list[str], modifier: str | None) -> Q:
    sexes: list[str] = []
    for value in values:
        system, code = parse_token(value)
        if code not in rules.SEXES_BY_GENDER:
            raise SearchError(f"gender: {code!r} is not one of male, female, other, unknown.")
        if system in (None, GENDER_SYSTEM):
            sexes.extend(rules.SEXES_BY_GENDER[code])
    return Q(sex__in=sexes) if sexes else NOTHING


def _by_birthdate(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        condition |= Q(**date_lookup("birth_date", value, "birthdate"))
    return condition


def _phone_forms(value: str) -> set[str]:
    forms = {value.strip()}
    with contextlib.suppress(ValidationError):
        forms.add(normalise_phone(value))
    return {form for form in forms if form}


def _by_phone(values: list[str], modifier: str | None) -> Q:
    numbers: set[str] = set()
    for value in values:
        numbers |= _phone_forms(value)
    return Q(phone__in=numbers) if numbers else NOTHING


def _by_telecom(values: list[str], modifier: str | None) -> Q:
    numbers: set[str] = set()
    for value in values:
        system, code = parse_token(value)
        if system in (None, "phone"):
            numbers |= _phone_forms(code)
    return Q(phone__in=numbers) if numbers else NOTHING


def _audit_read(user: Any, patient: Patient) -> None:
    record_patient_read(actor=user, patient=patient, channel="fhir")


def _audit_search(user: Any, patients: list[Patient], criteria: list[str]) -> None:
    if patients:
        record_patient_search(
            actor=user,
            patient_ids=[patient.external_id for patient in patients],
            channel="fhir",
            criteria=criteria,
        )


def register() -> None:
    register_resource(
        "Patient",
        queryset=_queryset,
        to_fhir=patient_to_fhir,
        ordering=("name", "pk"),
        on_read=_audit_read,
        on_search=_audit_search,
        documentation=(
            "Residents known to the network. Search entries mask the resident ID number "
            "(meta.security REDACTED); read the patient for the full record (audited)."
        ),
        search_params=[
            SearchParam(
                "identifier",
                "token",
                f"Resident ID number ({rules.RESIDENT_ID.uri}|number, exact) or an institution's "
                f"record number ({rules.RECORD_NUMBER_PREFIX}<institution code>:mrn|value); "
                "a bare value matches either.",
                _by_identifier,
            ),
            string_param(
                "name", ("name",), "Name contains the text (default, :contains) or :exact."
            ),
            SearchParam(
                "birthdate",
                "date",
                "Birth date YYYY[-MM[-DD]] with prefix eq (default), ge, le, gt or lt.",
                _by_birthdate,
            ),
            SearchParam("gender", "token", "male, female, other or unknown.", _by_gender),
            SearchParam("phone", "token", "Phone number, exact.", _by_phone),
            SearchParam("telecom", "token", "phone|number or number, exact.", _by_telecom),
        ],
    )
