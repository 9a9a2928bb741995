"""Registering and editing the DICOM application entities of an institution (its modalities,
reading workstations and archives). The same permission as its equipment: ``MANAGE_INSTITUTION``
there, or ``MANAGE_NETWORK`` at the lead of a community it belongs to. Each write has its audit
row in the same transaction."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.network.actions import Errors, _add, _choice, _require, _text, can_manage_institution
from lianxin.network.models import AERole, ApplicationEntity, Equipment, Institution

# PS3.5 §6.2 (AE value representation): up to 16 characters of the default repertoire, no
# backslash or control characters; leading and trailing spaces are not significant. We keep to
# the letters, digits, "_" and "-" that every modality's set-up screen accepts.
AE_TITLE = re.compile(r"^[A-Z0-9_\-]{1,16}$")
MODALITY = re.compile(r"^[A-Z]{0,8}$")
FIELDS = ("ae_title", "role", "modality", "station_name", "host", "port", "is_active", "equipment")


def _clean(errors: Errors, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "ae_title" in data:
        title = str(data["ae_title"] or "").strip().upper()
        if not AE_TITLE.match(title):
            _add(errors, "ae_title", _("Up to 16 capital letters, digits, _ or -."))
        out["ae_title"] = title
    if "role" in data:
        out["role"] = _choice(errors, "role", data["role"], AERole)
    if "modality" in data:
        modality = str(data["modality"] or "").strip().upper()
        if not MODALITY.match(modality):
            _add(errors, "modality", _("A DICOM modality code such as CT, MR, DX, US or ECG."))
        out["modality"] = modality
    if "station_name" in data:
        out["station_name"] = _text(
            errors, "station_name", data["station_name"], 16, required=False
        )
    if "host" in data:
        out["host"] = _text(errors, "host", data["host"], 100, required=False)
    if "port" in data:
        port = data["port"]
        if port in (None, ""):
            out["port"] = None
        else:
            try:
                out["port"] = int(port)
            except (TypeError, ValueError):
                out["port"] = None
                _add(errors, "port", _("Enter a port number between 1 and 65535."))
            else:
                if not 1 <= out["port"] <= 65535:
                    _add(errors, "port", _("Enter a port number between 1 and 65535."))
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    if "equipment" in data:
        equipment = data["equipment"]
        if equipment is not None and (
            not isinstance(equipment, Equipment) or equipment.institution_id != institution.pk
        ):
            _add(errors, "equipment", _("The equipment belongs to another institution."))
        out["equipment"] = equipment
    return out


def _snapshot(entity: ApplicationEntity) -> dict[str, Any]:
    return {
        "ae_title": entity.ae_title,
        "role": entity.role,
        "modality": entity.modality,
        "station_name": entity.station_name,
        "host": entity.host,
        "port": entity.port,
        "is_active": entity.is_active,
        "equipment": str(entity.equipment.external_id) if entity.equipment_id else None,
    }


def _taken(errors: Errors) -> None:
    _add(errors, "ae_title", _("This AE title is already registered."))
    raise ValidationError(errors)


def do_register_application_entity(
    *,
    actor: Any,
    institution: Institution,
    ae_title: str,
    role: str,
    modality: str = "",
    station_name: str = "",
    host: str = "",
    port: int | None = None,
    equipment: Equipment | None = None,
    is_active: bool = True,
) -> ApplicationEntity:
    """Register an AE title for an institution; from then on Lianxin accepts its associations."""
    _require(
        can_manage_institution(actor, institution),
        _("You may not register DICOM devices at %(inst)s.") % {"inst": institution},
    )
    errors: Errors = {}
    values = _clean(
        errors,
        institution,
        {
            "ae_title": ae_title,
            "role": role,
            "modality": modality,
            "station_name": station_name,
            "host": host,
            "port": port,
            "equipment": equipment,
            "is_active": is_active,
        },
    )
    if values.get("role") == AERole.MODALITY and not values.get("modality"):
        _add(errors, "modality", _("A modality needs its modality code (CT, MR, DX…)."))
    if errors:
        raise ValidationError(errors)
    if ApplicationEntity.objects.filter(ae_title=values["ae_title"]).exists():
        _taken(errors)
    try:
        with transaction.atomic():
            entity = ApplicationEntity.objects.create(institution=institution, **values)
            audit.record(
                "network.ae.register",
                actor=actor,
                target=entity,
                institution=institution,
                after=_snapshot(entity),
            )
    except IntegrityError:
        _taken(errors)
    return entity


def do_update_application_entity(
    *, actor: Any, entity: ApplicationEntity, **changes: Any
) -> ApplicationEntity:
    """Change an AE's title, address, modality or station, or switch it off (refused from then
    on). Unknown field names are a programming error."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    institution = entity.institution
    _require(
        can_manage_institution(actor, institution),
        _("You may not change DICOM devices at %(inst)s.") % {"inst": institution},
    )
    errors: Errors = {}
    values = _clean(errors, institution, changes)
    role = values.get("role", entity.role)
    modality = values.get("modality", entity.modality)
    if role == AERole.MODALITY and not modality:
        _add(errors, "modality", _("A modality needs its modality code (CT, MR, DX…)."))
    if errors:
        raise ValidationError(errors)
    title = values.get("ae_title")
    if title and ApplicationEntity.objects.filter(ae_title=title).exclude(pk=entity.pk).exists():
        _taken(errors)
    try:
        with transaction.atomic():
            locked = ApplicationEntity.objects.select_for_update().get(pk=entity.pk)
            before = _snapshot(locked)
            for field, value in values.items():
                setattr(locked, field, value)
            locked.save()
            after = _snapshot(locked)
            if after != before:
                audit.record(
                    "network.ae.update",
                    actor=actor,
                    target=locked,
                    institution=institution,
                    before={k: v for k, v in before.items() if after[k] != v},
                    after={k: v for k, v in after.items() if before[k] != v},
                )
    except IntegrityError:
        _taken(errors)
    return locked
