"""The catalogue: instrument sets with their contents, and the packs labelled for them."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.permissions import Perm
from lianxin.network.models import Department, Institution
from lianxin.sterile.actions.common import clean, require
from lianxin.sterile.models import InstrumentSet, Pack, PackEvent, SetItem
from lianxin.sterile.rules import Packaging, PackStatus, Step

BARCODE_RE = re.compile(r"^[A-Z0-9-]{6,32}$")


def normalise_barcode(value: Any) -> str:
    return clean(value, 40).upper()


def do_create_instrument_set(
    *,
    actor: Any,
    centre: Department,
    code: str,
    name: str,
    items: list[tuple[str, int]],
    packaging: str = Packaging.NONWOVEN,
    is_implant: bool = False,
) -> InstrumentSet:
    """Add a set to the centre's catalogue with its contents (instrument, count)."""
    require(actor, Perm.PROCESS_STERILE, centre.institution_id)
    code, name = clean(code, 20).upper(), clean(name, 80)
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("Give the set a code.")]
    if not name:
        errors["name"] = [_("Give the set a name.")]
    if packaging not in Packaging.values:
        errors["packaging"] = [_("Choose a packaging material.")]
    lines = [(clean(n, 80), int(c)) for n, c in items if clean(n, 80)]
    if not lines or any(c < 1 for _n, c in lines):
        errors["items"] = [_("List the set's instruments, each with a count of at least 1.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            instrument_set = InstrumentSet.objects.create(
                centre=centre, code=code, name=name, packaging=packaging, is_implant=is_implant
            )
            SetItem.objects.bulk_create(
                SetItem(instrument_set=instrument_set, name=n, count=c) for n, c in lines
            )
            audit.record(
                "sterile.set.create",
                actor=actor,
                target=instrument_set,
                institution=centre.institution_id,
                after={"code": code, "items": len(lines), "implant": is_implant},
            )
    except IntegrityError as exc:
        raise ValidationError({"code": [_("This code is already in the catalogue.")]}) from exc
    return instrument_set


def do_register_pack(
    *,
    actor: Any,
    instrument_set: InstrumentSet,
    barcode: str,
    home: Institution,
    now: datetime.datetime | None = None,
) -> Pack:
    """Label a new physical pack of a set for a branch; it starts at the centre, to be cleaned."""
    centre = instrument_set.centre
    require(actor, Perm.PROCESS_STERILE, centre.institution_id)
    code = normalise_barcode(barcode)
    if not BARCODE_RE.match(code):
        raise ValidationError({"barcode": [_("A barcode has 6 to 32 letters, digits or dashes.")]})
    now = now or timezone.now()
    try:
        with transaction.atomic():
            pack = Pack.objects.create(
                barcode=code,
                instrument_set=instrument_set,
                centre=centre,
                home=home,
                location_id=centre.institution_id,
                status=PackStatus.COLLECTED,
                cycle=1,
                packaging=instrument_set.packaging,
            )
            PackEvent.objects.create(
                pack=pack,
                cycle=1,
                step=Step.COLLECT,
                at=now,
                actor=actor,
                institution_id=centre.institution_id,
                note=_("Registered"),
            )
            audit.record(
                "sterile.pack.register",
                actor=actor,
                target=pack,
                institution=centre.institution_id,
                after={"barcode": code, "set": instrument_set.code, "home": home.pk},
            )
    except IntegrityError as exc:
        raise ValidationError({"barcode": [_("This barcode is already in use.")]}) from exc
    return pack
