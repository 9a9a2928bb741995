"""A branch's request for sterile packs (申领); the centre fulfils it by issue scans."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.permissions import Perm
from lianxin.network.models import Department, Institution
from lianxin.sterile.actions.common import clean, require
from lianxin.sterile.models import InstrumentSet, PackRequest, PackRequestLine

MAX_QUANTITY = 200


def do_request_packs(
    *,
    actor: Any,
    branch: Institution,
    centre: Department,
    lines: list[tuple[InstrumentSet, int]],
    needed_by: datetime.date | None = None,
    note: str = "",
) -> PackRequest:
    """Ask the centre for packs: each line a set of its catalogue and a quantity."""
    require(actor, Perm.USE_STERILE, branch.pk)
    wanted = [(s, int(q)) for s, q in lines if q]
    if not wanted:
        raise ValidationError({"lines": [_("Ask for at least one pack.")]})
    if any(s.centre_id != centre.pk for s, _q in wanted):
        raise ValidationError({"lines": [_("Ask only for sets of this centre's catalogue.")]})
    if any(not 1 <= q <= MAX_QUANTITY for _s, q in wanted):
        raise ValidationError({"lines": [_("Each quantity is between 1 and 200.")]})
    if needed_by is not None and needed_by < timezone.localdate():
        raise ValidationError({"needed_by": [_("The date needed cannot be in the past.")]})
    with transaction.atomic():
        request = PackRequest.objects.create(
            centre=centre,
            branch=branch,
            requested_by=actor,
            needed_by=needed_by,
            note=clean(note),
        )
        PackRequestLine.objects.bulk_create(
            PackRequestLine(request=request, instrument_set=s, quantity=q) for s, q in wanted
        )
        audit.record(
            "sterile.request.create",
            actor=actor,
            target=request,
            institution=branch.pk,
            after={"lines": [(s.code, q) for s, q in wanted]},
        )
    return request


def issued_against(request: PackRequest) -> dict[int, int]:
    """Packs issued against the request, per set."""
    rows = (
        request.events.filter(step="issue")
        .values("pack__instrument_set_id")
        .annotate(n=Count("id"))
    )
    return {r["pack__instrument_set_id"]: r["n"] for r in rows}


def mark_fulfilled_if_done(request: PackRequest, now: datetime.datetime) -> None:
    issued = issued_against(request)
    if all(issued.get(line.instrument_set_id, 0) >= line.quantity for line in request.lines.all()):
        PackRequest.objects.filter(pk=request.pk, fulfilled_at__isnull=True).update(
            fulfilled_at=now
        )
