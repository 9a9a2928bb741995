"""Residents (居民) from CSV or Excel: each row registers a patient at the chosen institution."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core.access import access_for
from lianxin.core.audit import mask_id_number
from lianxin.core.idnumber import parse_id_number
from lianxin.core.imports import Column, FileError, Importer, Status, call_action
from lianxin.core.permissions import Perm
from lianxin.patients.actions import do_register_patient
from lianxin.patients.matching import offers_for_registration
from lianxin.patients.models import IdentifierKind, Patient, PatientIdentifier, Sex

CONFIRM_WORDS = {"是", "y", "yes", "1", "true", "确认"}

# How people write sex in a spreadsheet; GB/T 2261.1 codes (1, 2) are accepted as they are.
SEX_WORDS = {
    "男": Sex.MALE,
    "男性": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "1": Sex.MALE,
    "女": Sex.FEMALE,
    "女性": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "2": Sex.FEMALE,
    "未知": Sex.UNKNOWN,
    "0": Sex.UNKNOWN,
    "未说明": Sex.UNSPECIFIED,
    "9": Sex.UNSPECIFIED,
}


def parse_sex(text: str) -> str:
    """``""`` leaves the sex to the ID number."""
    value = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not value:
        return ""
    if value not in SEX_WORDS:
        raise ValidationError({"sex": _("Write the sex as 男 or 女 (or M/F, 1/2).")})
    return SEX_WORDS[value]


class ResidentImporter(Importer):
    kind = "residents"
    label = gettext_lazy("Residents")
    needs_institution = True
    columns = (
        Column("name", gettext_lazy("Name"), ("姓名", "患者姓名", "居民姓名"), required=True),
        Column(
            "id_number",
            gettext_lazy("ID number"),
            (
                "身份证号",
                "身份证号码",
                "居民身份证号",
                "公民身份号码",
                "证件号码",
                "idnumber",
                "id",
            ),
            kind="identifier",
        ),
        Column("sex", gettext_lazy("Sex"), ("性别", "gender")),
        Column(
            "birth_date",
            gettext_lazy("Birth date"),
            ("出生日期", "出生年月日", "生日", "dob", "date of birth", "birthdate"),
            kind="date",
        ),
        Column(
            "phone",
            gettext_lazy("Phone"),
            ("电话", "联系电话", "手机", "手机号", "手机号码", "mobile", "telephone"),
            kind="phone",
        ),
        Column("address", gettext_lazy("Address"), ("住址", "地址", "家庭住址", "现住址")),
        Column(
            "mrn",
            gettext_lazy("Record number"),
            ("病历号", "病案号", "门诊号", "就诊卡号", "medical record number"),
            kind="identifier",
        ),
        Column(
            "confirm_new",
            gettext_lazy("Register as new"),
            ("确认新建", "新建", "confirm new"),
        ),
    )

    def check_allowed(self) -> None:
        if self.institution is None:
            raise FileError(_("Choose the institution the residents are registered at."))
        access = access_for(self.actor)
        if not (
            access.has_perm(Perm.IMPORT_DATA, self.institution)
            and access.has_perm(Perm.REGISTER_PATIENT, self.institution)
        ):
            raise FileError(
                _("You may not import residents at %(inst)s.") % {"inst": self.institution}
            )

    def describe(self, values: Mapping[str, Any]) -> str:
        name = values.get("name") or ""
        number = values.get("id_number") or ""
        return f"{name} {mask_id_number(number)}".strip()

    def identities(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        number = values.get("id_number") or ""
        # An invalid number is the action's to report; the raw text still catches a repeat.
        with contextlib.suppress(ValidationError):
            number = parse_id_number(number).value if number else ""
        return [("id_number", number), ("mrn", values.get("mrn") or "")]

    def import_row(
        self, values: Mapping[str, Any], errors: dict[str, list[str]]
    ) -> tuple[str, list[str]]:
        sex = ""
        try:
            sex = parse_sex(values.get("sex") or "")
        except ValidationError as exc:
            errors.setdefault("sex", []).extend(exc.messages)
        number = values.get("id_number") or None
        already_here = False
        if number:
            try:
                clean = parse_id_number(number).value
            except ValidationError:
                clean = None  # the action gives the message
            if clean:
                already_here = PatientIdentifier.objects.filter(
                    patient__in=Patient.objects.filter(id_number=clean),
                    institution=self.institution,
                    kind=IdentifierKind.MRN,
                ).exists()
        if not errors:
            skipped = self._possible_duplicates(values, sex)
            if skipped:
                return Status.SKIPPED, skipped
        _patient, created = call_action(
            errors,
            do_register_patient,
            actor=self.actor,
            institution=self.institution,
            name=values.get("name") or "",
            sex=sex,
            birth_date=values.get("birth_date"),
            id_number=number,
            phone=values.get("phone") or "",
            address=values.get("address") or "",
            mrn=values.get("mrn") or None,
            throttle=False,
        )
        if created:
            return Status.CREATED, []
        if already_here:
            return Status.SKIPPED, [_("Already registered at this institution.")]
        return Status.EXISTING, [_("Known patient; this institution's record number was added.")]

    def _possible_duplicates(self, values: Mapping[str, Any], sex: str) -> list[str]:
        """Possible matches of a row that would create a patient: the row waits (skipped, with
        the matches) unless its 确认新建 column says 是."""
        if (values.get("confirm_new") or "").strip().lower() in CONFIRM_WORDS:
            return []
        try:
            offers = offers_for_registration(
                self.actor,
                name=values.get("name") or "",
                sex=sex,
                birth_date=values.get("birth_date"),
                id_number=values.get("id_number") or None,
                phone=values.get("phone") or "",
                address=values.get("address") or "",
                mrn=values.get("mrn") or None,
            )
        except (ValidationError, ValueError, TypeError):
            return []
        messages = []
        for offer in offers[:3]:
            patient = offer.candidate.patient
            who = patient.name if offer.visible else patient.name[:1] + "*"
            places = "、".join(offer.institutions) or "—"
            messages.append(
                _(
                    "Possibly the same person as %(who)s (%(places)s, match weight %(w).1f): "
                    "check, or write 是 in the column 确认新建 to register as new."
                )
                % {"who": who, "places": places, "w": offer.candidate.weight}
            )
        return messages
