"""Writes to the master patient index. Each action runs in one transaction with its audit row."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed, Throttled
from lianxin.core.idnumber import IdNumber, parse_id_number, validate_against_record
from lianxin.core.models import AuditEvent
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.models import (
    BreakGlassAccess,
    IdentifierKind,
    Patient,
    PatientIdentifier,
    Sex,
)
from lianxin.patients.pinyin import name_initials
from lianxin.patients.rules import (
    BREAK_GLASS_DURATION,
    ID_LOOKUP_LIMIT,
    ID_LOOKUP_WINDOW,
    MRN_DIGITS,
    normalise_phone,
)

NAME_MAX = Patient._meta.get_field("name").max_length
ADDRESS_MAX = Patient._meta.get_field("address").max_length
MRN_MAX = PatientIdentifier._meta.get_field("value").max_length


def _snapshot(patient: Patient) -> dict[str, Any]:
    """The demographics as the audit log keeps them (``id_number`` is masked by audit.record)."""
    return {
        "name": patient.name,
        "sex": patient.sex,
        "birth_date": patient.birth_date,
        "id_number": patient.id_number,
        "phone": patient.phone,
        "address": patient.address,
    }


def _clean_demographics(
    errors: dict[str, list[str]],
    *,
    name: str,
    sex: str,
    birth_date: datetime.date | None,
    id_number: str | None,
    phone: str,
    address: str,
) -> dict[str, Any]:
    """Validate what a person typed; fills ``errors`` per field and returns the clean values."""
    clean: dict[str, Any] = {}
    name = " ".join((name or "").split())
    if not name:
        errors.setdefault("name", []).append(_("Enter the patient's name."))
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(
            _("A name has at most %(n)d characters.") % {"n": NAME_MAX}
        )
    clean["name"] = name

    number: IdNumber | None = None
    if id_number and id_number.strip():
        try:
            number = parse_id_number(id_number)
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
    clean["id_number"] = number.value if number else None

    sex = (sex or "").strip()
    if sex and sex not in Sex.values:
        errors.setdefault("sex", []).append(_("Choose a sex from the list."))
        sex = ""
    if number is not None:
        try:
            validate_against_record(number, birth_date=birth_date, sex=sex or None)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        birth_date = birth_date or number.birth_date
        sex = sex or number.sex
    if birth_date is None:
        errors.setdefault("birth_date", []).append(
            _("Enter the birth date (or a resident ID number to read it from).")
        )
    elif birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    clean["birth_date"] = birth_date
    clean["sex"] = sex or Sex.UNKNOWN
    clean["division_code"] = number.division_code if number else ""

    try:
        clean["phone"] = normalise_phone(phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    address = " ".join((address or "").split())
    if len(address) > ADDRESS_MAX:
        errors.setdefault("address", []).append(
            _("An address has at most %(n)d characters.") % {"n": ADDRESS_MAX}
        )
    clean["address"] = address
    return clean


def _next_mrn(institution: Institution) -> str:
    """The next free ``<code>-000123`` at this institution.

    Generated numbers are zero-padded, so among those of the greatest length the highest is the
    last in text order: no counting of the institution's patients on every registration.
    """
    prefix = f"{institution.code}-"
    width = len(prefix) + MRN_DIGITS
    last = (
        PatientIdentifier.objects.filter(
            institution=institution, kind=IdentifierKind.MRN, value__startswith=prefix
        )
        .annotate(width=Length("value"))
        .filter(width__gte=width)
        .order_by("-width", "-value")
        .values_list("value", flat=True)
        .first()
    )
    suffix = last[len(prefix) :] if last else ""
    number = int(suffix) + 1 if suffix.isdigit() else 1
    return f"{prefix}{number:0{MRN_DIGITS}d}"


ID_LOOKUP_ACTION = "patient.id_lookup"


def id_lookups_in_window(actor: Any) -> int:
    """How many registrations by this user found an already-registered ID number lately."""
    if not getattr(actor, "is_authenticated", False):
        return 0
    since = timezone.now() - ID_LOOKUP_WINDOW
    return AuditEvent.objects.filter(action=ID_LOOKUP_ACTION, actor=actor, at__gte=since).count()


def _record_id_lookup(
    *, actor: Any, institution: Institution, id_number: str, name: str, throttle: bool
) -> Patient | None:
    """Find the patient holding this ID number; when there is one, audit the look-up in its own
    transaction (it stays recorded even if the registration then fails) and enforce the quota."""
    if throttle and id_lookups_in_window(actor) >= ID_LOOKUP_LIMIT:
        raise Throttled(
            _(
                "You have looked up %(n)d registered ID numbers in the last hour; try again "
                "later or ask an administrator."
            )
            % {"n": ID_LOOKUP_LIMIT}
        )
    patient = Patient.objects.filter(id_number=id_number).first()
    if patient is not None:
        with transaction.atomic():
            audit.record(
                ID_LOOKUP_ACTION,
                actor=actor,
                target=patient,
                institution=institution,
                after={"id_number": id_number, "name_matched": patient.name == name},
            )
    return patient


def _add_identifier(
    patient: Patient, institution: Institution, mrn: str | None
) -> PatientIdentifier | None:
    """Give the patient this institution's MRN; None if they already hold the same one."""
    existing = PatientIdentifier.objects.filter(
        patient=patient, institution=institution, kind=IdentifierKind.MRN
    ).first()
    if existing is not None:
        if mrn and mrn != existing.value:
            raise ValidationError(
                {
                    "mrn": _(
                        "This patient already has the record number %(mrn)s at this institution."
                    )
                    % {"mrn": existing.value}
                }
            )
        return None
    taken = ValidationError(
        {"mrn": _("The record number %(mrn)s is already used at this institution.") % {"mrn": mrn}}
    )
    if (
        mrn
        and PatientIdentifier.objects.filter(
            institution=institution, kind=IdentifierKind.MRN, value=mrn
        ).exists()
    ):
        raise taken
    # A generated number can be taken by a parallel registration between the check and the insert;
    # the savepoint lets us try the next one instead of failing the whole registration.
    for _attempt in range(5):
        value = mrn or _next_mrn(institution)
        try:
            with transaction.atomic():
                return PatientIdentifier.objects.create(
                    patient=patient, institution=institution, kind=IdentifierKind.MRN, value=value
                )
        except IntegrityError:
            if mrn:
                raise taken from None
    raise ValidationError({"mrn": _("No free record number could be generated; try again.")})


def do_register_patient(
    *,
    actor: Any,
    institution: Institution,
    name: str,
    sex: str,
    birth_date: datetime.date | None,
    id_number: str | None,
    phone: str = "",
    address: str = "",
    mrn: str | None = None,
    throttle: bool = True,
) -> tuple[Patient, bool]:
    """Register a person at an institution; a known ID number finds the existing patient.

    Returns ``(patient, created)``. The institution's own record number (MRN) is added to the
    patient either way; one is generated when none is given. Finding an existing patient by ID
    number is audited and counted per user (``throttle=False`` for bulk imports).
    """
    if not access_for(actor).has_perm(Perm.REGISTER_PATIENT, institution):
        raise NotAllowed(_("You may not register patients at %(inst)s.") % {"inst": institution})
    errors: dict[str, list[str]] = {}
    clean = _clean_demographics(
        errors,
        name=name,
        sex=sex,
        birth_date=birth_date,
        id_number=id_number,
        phone=phone,
        address=address,
    )
    mrn = (mrn or "").strip() or None
    if mrn and len(mrn) > MRN_MAX:
        errors.setdefault("mrn", []).append(
            _("A record number has at most %(n)d characters.") % {"n": MRN_MAX}
        )
    if errors:
        raise ValidationError(errors)

    if clean["id_number"]:
        _record_id_lookup(
            actor=actor,
            institution=institution,
            id_number=clean["id_number"],
            name=clean["name"],
            throttle=throttle,
        )
    with transaction.atomic():
        patient = None
        created = False
        if clean["id_number"]:
            patient = Patient.objects.filter(id_number=clean["id_number"]).first()
            if patient is not None and patient.merged_into_id is not None:
                patient = patient.survivor()  # a merged record points at the one to use
        if patient is None:
            patient = Patient(name_initials=name_initials(clean["name"]), **clean)
            try:
                # The unique ID number is the last guard: a parallel registration of the same
                # person can commit between our lookup and this insert.
                with transaction.atomic():
                    patient.save()
                created = True
            except IntegrityError:
                patient = Patient.objects.filter(id_number=clean["id_number"]).first()
                if patient is None:
                    raise
        if not created and patient.name != clean["name"]:
            # Never the registered name, not even masked: that would tell any desk who holds a
            # number it types in.
            raise ValidationError(
                {
                    "name": _(
                        "This ID number is registered under a different name; check the name "
                        "and the number."
                    )
                }
            )
        identifier = _add_identifier(patient, institution, mrn)
        if created:
            audit.record(
                "patient.register",
                actor=actor,
                target=patient,
                institution=institution,
                after={**_snapshot(patient), "mrn": identifier.value if identifier else None},
            )
        elif identifier is not None:
            audit.record(
                "patient.identifier.add",
                actor=actor,
                target=patient,
                institution=institution,
                after={"mrn": identifier.value, "institution": str(institution.external_id)},
            )
    return patient, created


def _editing_institution(actor: Any, patient: Patient, perm: Perm) -> Institution | None:
    """An institution the actor acts for that registered the patient and grants ``perm``."""
    access = access_for(actor)
    for identifier in patient.identifiers.select_related("institution"):
        if access.has_perm(perm, identifier.institution):
            return identifier.institution
    return None


def do_update_patient(
    *,
    actor: Any,
    patient: Patient,
    name: str | None = None,
    sex: str | None = None,
    birth_date: datetime.date | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> Patient:
    """Correct a patient's demographics. ``None`` leaves a field as it is; ``""`` clears phone or
    address. Only an institution that registered the patient may edit them."""
    institution = _editing_institution(actor, patient, Perm.EDIT_PATIENT)
    if institution is None:
        raise NotAllowed(_("You may not edit this patient's demographics."))
    new_number = id_number if id_number is not None else patient.id_number
    errors: dict[str, list[str]] = {}
    # A corrected ID number also corrects the birth date and sex it carries unless they are given.
    number_changed = id_number is not None and id_number.strip() != (patient.id_number or "")
    clean = _clean_demographics(
        errors,
        name=name if name is not None else patient.name,
        sex=sex if sex is not None else ("" if number_changed else patient.sex),
        birth_date=birth_date
        if birth_date is not None
        else (None if number_changed else patient.birth_date),
        id_number=new_number,
        phone=phone if phone is not None else patient.phone,
        address=address if address is not None else patient.address,
    )
    if patient.id_number and not clean["id_number"] and "id_number" not in errors:
        errors["id_number"] = [_("A patient's ID number can be corrected but not removed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if (
            clean["id_number"]
            and Patient.objects.filter(id_number=clean["id_number"]).exclude(pk=locked.pk).exists()
        ):
            raise ValidationError(
                {"id_number": _("Another patient is registered with this ID number.")}
            )
        before = _snapshot(locked)
        if not clean["division_code"]:
            clean.pop("division_code")
        for field, value in clean.items():
            setattr(locked, field, value)
        locked.name_initials = name_initials(locked.name)
        after = _snapshot(locked)
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return locked
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError(
                {"id_number": _("Another patient is registered with this ID number.")}
            ) from None
        audit.record(
            "patient.update",
            actor=actor,
            target=locked,
            institution=institution,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    patient.refresh_from_db()
    return patient


def _reading_institution(actor: Any, patient: Patient) -> Institution | None:
    """The institution on whose behalf the actor reads: one that registered the patient, else
    any of the actor's clinical institutions (care relationship or break-glass)."""
    institution = _editing_institution(actor, patient, Perm.VIEW_PATIENT)
    if institution is not None:
        return institution
    clinical = access_for(actor).clinical_institution_ids
    return Institution.objects.filter(pk__in=clinical).order_by("pk").first() if clinical else None


def record_patient_read(*, actor: Any, patient: Patient, channel: str) -> None:
    """Write the read-audit row for opening a patient's record (page, API or FHIR)."""
    with transaction.atomic():
        audit.record(
            "patient.read",
            actor=actor,
            target=patient,
            institution=_reading_institution(actor, patient),
            after={"channel": channel},
        )


def record_patients_listed(
    *, actor: Any, patients: Iterable[Patient], channel: str, search: str = ""
) -> None:
    """Write one read-audit row for a list or search page: which patients were shown to whom.

    ``patients`` may repeat (a worklist shows one patient's items twice); ``search`` says what
    kind of text was searched for (``id_number``, ``phone`` …), never the text itself: it may be
    an ID number."""
    shown = list(dict.fromkeys(str(patient.external_id) for patient in patients))
    if not shown:
        return
    with transaction.atomic():
        audit.record(
            "patient.list",
            actor=actor,
            target_type=Patient._meta.label_lower,
            after={"channel": channel, "search": search, "patients": shown},
        )


def do_break_glass(
    *, actor: Any, patient: Patient, institution: Institution, reason: str
) -> BreakGlassAccess:
    """Open a patient outside the actor's scope for a limited time, with a reason; audited."""
    if not access_for(actor).has_perm(Perm.BREAK_GLASS, institution):
        raise NotAllowed(
            _("You may not use emergency access on behalf of %(inst)s.") % {"inst": institution}
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the emergency access.")})
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassAccess.objects.create(
            user=actor,
            patient=patient,
            institution=institution,
            reason=reason,
            started_at=now,
            expires_at=now + BREAK_GLASS_DURATION,
        )
        audit.record(
            "patient.break_glass",
            actor=actor,
            target=patient,
            institution=institution,
            after={"reason": reason, "expires_at": grant.expires_at},
        )
    return grant
