"""Practitioners from CSV or Excel: each row registers one health professional at an institution
named by its code."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.imports import Column, FileError, Importer, Status, call_action
from lianxin.core.permissions import Perm
from lianxin.network.models import Department, Institution
from lianxin.workforce.actions import do_create_practitioner
from lianxin.workforce.models import Practitioner, Profession, Specialty, Title

# Chinese title names (职称) as they appear on staff lists, beside the labels of ``Title``.
TITLE_WORDS: dict[str, str] = {
    "主任医师": Title.CHIEF,
    "副主任医师": Title.ASSOCIATE_CHIEF,
    "主治医师": Title.ATTENDING,
    "住院医师": Title.RESIDENT,
    "医师": Title.RESIDENT,
    "执业助理医师": Title.ASSISTANT,
    "助理医师": Title.ASSISTANT,
    "乡村医生": Title.VILLAGE_DOCTOR,
    "村医": Title.VILLAGE_DOCTOR,
    "主任护师": Title.CHIEF_NURSE,
    "副主任护师": Title.ASSOCIATE_CHIEF_NURSE,
    "主管护师": Title.SUPERVISOR_NURSE,
    "护师": Title.NURSE,
    "护士": Title.NURSE,
    "主管技师": Title.TECHNICIAN_IN_CHARGE,
    "技师": Title.TECHNICIAN,
}
NURSE_TITLES = frozenset(
    {Title.CHIEF_NURSE, Title.ASSOCIATE_CHIEF_NURSE, Title.SUPERVISOR_NURSE, Title.NURSE}
)
TECHNICIAN_TITLES = frozenset({Title.TECHNICIAN_IN_CHARGE, Title.TECHNICIAN})
PROFESSION_WORDS: dict[str, str] = {
    "医师": Profession.PHYSICIAN,
    "医生": Profession.PHYSICIAN,
    "护士": Profession.NURSE,
    "护理": Profession.NURSE,
    "技师": Profession.TECHNICIAN,
    "医技": Profession.TECHNICIAN,
    "药师": Profession.PHARMACIST,
    "管理": Profession.MANAGER,
    "管理人员": Profession.MANAGER,
}
SEX_WORDS = {
    "男": "M",
    "m": "M",
    "male": "M",
    "1": "M",
    "女": "F",
    "f": "F",
    "female": "F",
    "2": "F",
}
LIST_SEPARATORS = re.compile(r"[,;、，；\s]+")


def _key(text: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def _lookup(value: Any, choices: Any, words: Mapping[str, str]) -> str | None:
    key = _key(value)
    for code, label in choices:
        # "Chief physician (主任医师)" matches as a whole, in English alone or by its code.
        if key in {code, _key(label), _key(str(label).split(" (")[0])}:
            return code
    for word, code in words.items():
        if key == _key(word):
            return code
    return None


def normalise_code(text: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).upper()


class PractitionerImporter(Importer):
    kind = "practitioners"
    label = gettext_lazy("Practitioners")
    columns = (
        Column("name", gettext_lazy("Name"), ("姓名",), required=True),
        Column(
            "institution",
            gettext_lazy("Institution code"),
            ("机构代码", "机构编码", "institution_code", "所在机构代码"),
            required=True,
            kind="identifier",
        ),
        Column("title", gettext_lazy("Title"), ("职称", "专业技术职称"), required=True),
        Column("sex", gettext_lazy("Sex"), ("性别", "gender")),
        Column("profession", gettext_lazy("Profession"), ("类别", "人员类别", "执业类别")),
        Column(
            "licence_number",
            gettext_lazy("Licence number"),
            ("执业证书编码", "执业证书编号", "执业证号", "license_number", "licence"),
            kind="identifier",
        ),
        Column(
            "department",
            gettext_lazy("Department code"),
            ("科室代码", "科室编码", "department_code"),
            kind="identifier",
        ),
        Column("specialties", gettext_lazy("Specialties"), ("专科", "专业", "诊疗科目")),
        Column("phone", gettext_lazy("Phone"), ("电话", "联系电话", "手机"), kind="phone"),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._institutions: dict[str, Institution | None] = {}
        self._specialties: dict[str, str] | None = None

    def check_allowed(self) -> None:
        access = access_for(self.actor)
        if not (access.has_perm(Perm.IMPORT_DATA) and access.has_perm(Perm.MANAGE_WORKFORCE)):
            raise FileError(_("You may not import practitioners."))

    def describe(self, values: Mapping[str, Any]) -> str:
        return " ".join(
            str(part) for part in (values.get("name"), values.get("institution")) if part
        )

    def identities(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("licence_number", normalise_code(values.get("licence_number")))]

    def _institution(self, code: str) -> Institution | None:
        if code not in self._institutions:
            self._institutions[code] = (
                Institution.objects.visible_to(self.actor).filter(code=code).first()
            )
        return self._institutions[code]

    def _specialty_codes(self, text: str, errors: dict[str, list[str]]) -> list[str]:
        """Specialties by catalogue code (03.04) or name (心血管内科专业)."""
        if self._specialties is None:
            self._specialties = {}
            for code, name in Specialty.objects.values_list("code", "name"):
                self._specialties[code] = code
                self._specialties[_key(name)] = code
        codes, unknown = [], []
        for item in LIST_SEPARATORS.split(text or ""):
            if not item:
                continue
            code = self._specialties.get(item) or self._specialties.get(_key(item))
            if code is None and re.fullmatch(r"\d(\.\d+)?", item):
                # Excel reads "03.04" typed into a General cell as the number 3.04.
                code = self._specialties.get(f"0{item}")
            if code is None:
                unknown.append(item)
            elif code not in codes:
                codes.append(code)
        if unknown:
            errors.setdefault("specialties", []).append(
                _("Unknown specialties: %(items)s (use the codes of 诊疗科目, e.g. 03.04).")
                % {"items": ", ".join(unknown)}
            )
        return codes

    def import_row(
        self, values: Mapping[str, Any], errors: dict[str, list[str]]
    ) -> tuple[str, list[str]]:
        code = normalise_code(values.get("institution"))
        institution = self._institution(code) if code else None
        if institution is None:
            # Department, licence and permission all depend on the institution: stop here.
            errors.setdefault("institution", []).append(
                _("No institution with the code %(code)s.") % {"code": code}
            )
            raise ValidationError(errors)
        if not access_for(self.actor).has_perm(Perm.IMPORT_DATA, institution):
            raise NotAllowed(_("You may not import the staff of %(inst)s.") % {"inst": institution})
        name = " ".join(str(values.get("name") or "").split())
        licence = normalise_code(values.get("licence_number")) or None
        if licence and not errors:
            existing = Practitioner.objects.filter(licence_number=licence).first()
            if (
                existing is not None
                and existing.name == name
                and existing.institution_id == institution.pk
            ):
                return Status.SKIPPED, [_("Already registered; not changed.")]
        title = _lookup(values.get("title"), Title.choices, TITLE_WORDS)
        if title is None:
            errors.setdefault("title", []).append(
                _("Unknown title %(value)s; e.g. 主任医师, 主治医师, 乡村医生, 护师.")
                % {"value": values.get("title") or ""}
            )
        sex = ""
        if values.get("sex"):
            sex = SEX_WORDS.get(_key(values["sex"]), "")
            if not sex:
                errors.setdefault("sex", []).append(_("Write the sex as 男 or 女 (or M/F)."))
        if values.get("profession"):
            profession = _lookup(values["profession"], Profession.choices, PROFESSION_WORDS)
            if profession is None:
                errors.setdefault("profession", []).append(
                    _("Unknown profession; e.g. 医师, 护士, 技师, 药师.")
                )
        elif title in NURSE_TITLES:
            profession = Profession.NURSE
        elif title in TECHNICIAN_TITLES:
            profession = Profession.TECHNICIAN
        else:
            profession = Profession.PHYSICIAN
        department = None
        department_code = normalise_code(values.get("department"))
        if department_code:
            department = Department.objects.filter(
                institution=institution, code__iexact=department_code
            ).first()
            if department is None:
                errors.setdefault("department", []).append(
                    _("%(inst)s has no department with the code %(code)s.")
                    % {"inst": institution, "code": department_code}
                )
        specialties = self._specialty_codes(values.get("specialties") or "", errors)
        call_action(
            errors,
            do_create_practitioner,
            actor=self.actor,
            institution=institution,
            name=name,
            title=title or "",
            sex=sex,
            profession=profession or Profession.PHYSICIAN,
            licence_number=licence,
            department=department,
            specialties=specialties,
            phone=values.get("phone") or "",
        )
        return Status.CREATED, []
