"""Institutions from CSV or Excel: each row registers one institution through its action."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core.access import access_for
from lianxin.core.imports import Column, FileError, Importer, Status, call_action
from lianxin.core.permissions import Perm
from lianxin.network.actions import do_create_institution
from lianxin.network.models import Community, Institution, Tier

# The names a registry spreadsheet uses for an institution's tier (DESIGN §7 glossary).
TIER_WORDS: dict[str, str] = {
    "三级医院": Tier.TERTIARY,
    "三级甲等医院": Tier.TERTIARY,
    "三甲医院": Tier.TERTIARY,
    "牵头医院": Tier.TERTIARY,
    "县人民医院": Tier.COUNTY_HOSPITAL,
    "县医院": Tier.COUNTY_HOSPITAL,
    "县级医院": Tier.COUNTY_HOSPITAL,
    "县总医院": Tier.COUNTY_HOSPITAL,
    "县中医院": Tier.COUNTY_TCM,
    "县中医医院": Tier.COUNTY_TCM,
    "中医院": Tier.COUNTY_TCM,
    "县妇幼保健院": Tier.COUNTY_MCH,
    "妇幼保健院": Tier.COUNTY_MCH,
    "乡镇卫生院": Tier.TOWNSHIP,
    "卫生院": Tier.TOWNSHIP,
    "中心卫生院": Tier.TOWNSHIP,
    "社区卫生服务中心": Tier.COMMUNITY_CENTRE,
    "村卫生室": Tier.VILLAGE,
    "卫生室": Tier.VILLAGE,
    "卫生健康局": Tier.COMMISSION,
    "卫健局": Tier.COMMISSION,
    "卫生健康委员会": Tier.COMMISSION,
}


def _key(text: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def parse_tier(text: str) -> str:
    """A tier code (``township``), its English label or a Chinese name (乡镇卫生院)."""
    value = _key(text)
    if not value:
        raise ValidationError({"tier": _("Enter the tier, e.g. 乡镇卫生院 or township.")})
    for code, label in Tier.choices:
        if value in {code, _key(label)}:
            return code
    for word, code in TIER_WORDS.items():
        if value == _key(word):
            return code
    raise ValidationError(
        {
            "tier": _("Unknown tier %(value)s; use one of: %(known)s.")
            % {"value": text, "known": ", ".join(sorted({*TIER_WORDS, *Tier.values}))}
        }
    )


def normalise_code(text: Any) -> str:
    """Institution codes as the registry action stores them (no spaces, upper case)."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).upper()


class InstitutionImporter(Importer):
    kind = "institutions"
    label = gettext_lazy("Institutions")
    columns = (
        Column("name", gettext_lazy("Name"), ("机构名称", "名称", "单位名称"), required=True),
        Column(
            "code",
            gettext_lazy("Institution code"),
            ("机构代码", "机构编码", "登记号", "医疗机构登记号", "登记号码"),
            required=True,
            kind="identifier",
        ),
        Column("tier", gettext_lazy("Tier"), ("类型", "机构类型", "级别", "层级"), required=True),
        Column(
            "division_code",
            gettext_lazy("Division code"),
            ("行政区划代码", "区划代码", "行政区划"),
            required=True,
            kind="identifier",
        ),
        Column("short_name", gettext_lazy("Short name"), ("简称", "机构简称")),
        Column("grade", gettext_lazy("Grade"), ("等级", "医院等级")),
        Column("address", gettext_lazy("Address"), ("地址", "机构地址")),
        Column("latitude", gettext_lazy("Latitude"), ("纬度", "lat"), kind="decimal"),
        Column("longitude", gettext_lazy("Longitude"), ("经度", "lng", "lon"), kind="decimal"),
        Column("beds", gettext_lazy("Beds"), ("床位数", "床位", "编制床位"), kind="integer"),
        Column("phone", gettext_lazy("Phone"), ("电话", "联系电话"), kind="phone"),
        Column(
            "parent",
            gettext_lazy("Parent institution code"),
            ("上级机构代码", "上级机构", "parent_code", "管理机构代码"),
            kind="identifier",
        ),
        Column("community", gettext_lazy("Community"), ("医共体", "所属医共体", "医联体")),
    )

    def check_allowed(self) -> None:
        access = access_for(self.actor)
        if not (access.has_perm(Perm.IMPORT_DATA) and access.has_perm(Perm.MANAGE_NETWORK)):
            raise FileError(_("You may not import institutions."))

    def describe(self, values: Mapping[str, Any]) -> str:
        return f"{values.get('name') or ''} {values.get('code') or ''}".strip()

    def identities(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("code", normalise_code(values.get("code")))]

    def import_row(
        self, values: Mapping[str, Any], errors: dict[str, list[str]]
    ) -> tuple[str, list[str]]:
        code = normalise_code(values.get("code"))
        name = " ".join(str(values.get("name") or "").split())
        existing = Institution.objects.filter(code=code).first() if code else None
        if existing is not None and not errors:
            if existing.name == name:
                return Status.SKIPPED, [_("Already registered; not changed.")]
            errors["code"] = [
                _("This code is already registered to %(name)s.") % {"name": existing.name}
            ]
            raise ValidationError(errors)
        tier = ""
        try:
            tier = parse_tier(values.get("tier") or "")
        except ValidationError as exc:
            errors.setdefault("tier", exc.message_dict["tier"])
        parent = None
        parent_code = normalise_code(values.get("parent"))
        if parent_code:
            parent = Institution.objects.filter(code=parent_code).first()
            if parent is None:
                errors.setdefault("parent", []).append(
                    _("No institution with the code %(code)s (list it above this row).")
                    % {"code": parent_code}
                )
        community = None
        community_name = values.get("community") or ""
        if community_name:
            community = Community.objects.visible_to(self.actor).filter(name=community_name).first()
            if community is None:
                errors["community"] = [_("No community named %(name)s.") % {"name": community_name}]
        call_action(
            errors,
            do_create_institution,
            actor=self.actor,
            name=name,
            code=code,
            tier=tier,
            division_code=values.get("division_code") or "",
            short_name=values.get("short_name") or "",
            grade=values.get("grade") or "",
            address=values.get("address") or "",
            latitude=values.get("latitude"),
            longitude=values.get("longitude"),
            beds=values.get("beds") or 0,
            phone=values.get("phone") or "",
            parent=parent,
            community=community,
        )
        return Status.CREATED, []
