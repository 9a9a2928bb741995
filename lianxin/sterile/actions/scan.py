"""One scanned step of a pack's cycle. The scan pages and the API both build a ``ScanInput``
(``forms.ScanForm`` resolves the public ids in the user's scope) and call ``do_scan_pack``; a
refused scan raises with a message for the scanning page and writes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.errors import ActionError, Conflict
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.models import Patient
from lianxin.sterile.actions.catalogue import normalise_barcode
from lianxin.sterile.actions.common import clean, require
from lianxin.sterile.actions.loads import release_blockers
from lianxin.sterile.actions.recalls import account_returned
from lianxin.sterile.actions.requests import mark_fulfilled_if_done
from lianxin.sterile.models import (
    LoadStatus,
    Pack,
    PackEvent,
    PackRequest,
    SterilisationLoad,
    WasherLoad,
)
from lianxin.sterile.rules import (
    REFUSE_EXPIRED,
    STEP_RULES,
    Condition,
    Packaging,
    PackStatus,
    Step,
)
from lianxin.workforce.models import Practitioner


@dataclass
class ScanInput:
    """What a scan carries besides the barcode, by step (``None`` where the step needs none)."""

    step: str
    barcode: str
    branch: Institution | None = None  # issue: to whom; collect: from whom (the pack's place)
    washer_load: WasherLoad | None = None
    load: SterilisationLoad | None = None
    checker: Any | None = None
    contents_confirmed: bool = False
    packaging: str = ""
    condition: str = Condition.COMPLETE
    note: str = ""
    patient: Patient | None = None
    procedure: str = ""
    surgeon: Practitioner | None = None
    request: PackRequest | None = None


def _refuse(message: str) -> None:
    raise ActionError(message, code="scan_refused")


def _status_label(status: str) -> str:
    return PackStatus(status).label


def do_scan_pack(*, actor: Any, data: ScanInput, now: datetime.datetime | None = None) -> PackEvent:
    """Record one step for the scanned pack (see ``rules.STEP_RULES``)."""
    now = now or timezone.now()
    rule = STEP_RULES.get(data.step)
    if rule is None:
        _refuse(_("Unknown step."))
    code = normalise_barcode(data.barcode)
    if not code:
        _refuse(_("Scan or type a barcode."))
    found = Pack.objects.visible_to(actor).filter(barcode=code).values_list("pk", flat=True)
    pack_id = found.first()
    if pack_id is None:
        _refuse(_("No pack with the barcode %(code)s in your records.") % {"code": code})
    try:
        with transaction.atomic():
            # Lock the pack's row only: its load is an outer join, which PostgreSQL cannot lock.
            pack = (
                Pack.objects.select_for_update(of=("self",))
                .select_related("instrument_set", "centre", "load")
                .get(pk=pack_id)
            )
            event = _apply(actor, pack, rule, data, now)
    except IntegrityError as exc:
        # The unique constraints behind the lock: issued or used once per cycle.
        raise Conflict(
            _("Pack %(code)s was just recorded for this step by someone else.") % {"code": code}
        ) from exc
    return event


def _apply(actor: Any, pack: Pack, rule: Any, data: ScanInput, now: datetime.datetime) -> PackEvent:
    step = rule.step
    centre_inst = pack.centre.institution_id
    if rule.side == "centre":
        require(
            actor,
            Perm.PROCESS_STERILE,
            centre_inst,
            _("Only the sterile supply centre scans this step."),
        )
    else:
        require(
            actor,
            Perm.USE_STERILE,
            pack.location_id,
            _("Pack %(code)s is not at your institution.") % {"code": pack.barcode},
        )
    if pack.status not in rule.from_statuses:
        _refuse(
            _("Pack %(code)s is %(status)s: %(step)s is not its next step.")
            % {
                "code": pack.barcode,
                "status": _status_label(pack.status),
                "step": Step(step).label,
            }
        )
    expired = pack.is_expired(now)
    if step in REFUSE_EXPIRED and expired:
        _refuse(
            _("Pack %(code)s expired on %(date)s: it may not be issued or used. Send it back.")
            % {
                "code": pack.barcode,
                "date": timezone.localtime(pack.expires_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if step in (Step.ISSUE, Step.RECEIVE, Step.USE, Step.STORE) and pack.recalled:
        _refuse(_("Pack %(code)s is recalled: return it to the centre.") % {"code": pack.barcode})
    before = {"status": pack.status, "cycle": pack.cycle, "location": pack.location_id}
    event = PackEvent(pack=pack, step=step, at=now, actor=actor, note=clean(data.note))
    handler = _HANDLERS[step]
    handler(actor, pack, data, event, now, expired)
    pack.status = rule.to_status
    pack.save()
    event.cycle = pack.cycle
    if not event.institution_id:
        event.institution_id = pack.location_id
    event.save()
    if event.request is not None:
        mark_fulfilled_if_done(event.request, now)
    audit.record(
        f"sterile.pack.{step}",
        actor=actor,
        target=pack,
        institution=event.institution_id,
        before=before,
        after={"status": pack.status, "cycle": pack.cycle, "location": pack.location_id},
    )
    return event


def _collect(actor, pack, data, event, now, expired) -> None:
    if pack.status == PackStatus.STORED and not (expired or pack.recalled):
        _refuse(
            _("Pack %(code)s is still sterile in store: issue it instead of reprocessing it.")
            % {"code": pack.barcode}
        )
    if data.condition not in Condition.values:
        _refuse(_("Say whether the set came back complete."))
    if data.condition != Condition.COMPLETE and not clean(data.note):
        _refuse(_("Say which instruments are missing or damaged."))
    event.institution_id = pack.location_id  # collected from where it was
    event.condition = data.condition
    if pack.recalled and pack.status != PackStatus.QUARANTINED:
        account_returned(pack, actor=actor, now=now, how="collected by the centre")
    pack.cycle += 1
    pack.location_id = pack.centre.institution_id
    pack.load = None
    pack.sterilised_at = pack.expires_at = None
    pack.recalled = False


def _wash(actor, pack, data, event, now, expired) -> None:
    load = data.washer_load
    if load is None:
        _refuse(_("Choose the washer load first."))
    if load.centre_id != pack.centre_id:
        _refuse(_("That washer load is of another centre."))
    if not load.passed:
        _refuse(
            _("Washer load %(load)s failed its parameters (%(problems)s): clean the pack again.")
            % {"load": str(load), "problems": load.problems}
        )
    event.washer_load = load
    event.institution_id = pack.centre.institution_id


def _pack(actor, pack, data, event, now, expired) -> None:
    if data.checker is None or data.checker.pk == actor.pk:
        _refuse(_("Packing is checked by a second person: choose the checker."))
    if not data.contents_confirmed:
        _refuse(_("Confirm the set's contents against the list before packing."))
    packaging = data.packaging or pack.instrument_set.packaging
    if packaging not in Packaging.values:
        _refuse(_("Choose a packaging material."))
    pack.packaging = packaging
    event.checker = data.checker
    event.institution_id = pack.centre.institution_id


def _sterilise(actor, pack, data, event, now, expired) -> None:
    load = data.load
    if load is None:
        _refuse(_("Choose the sterilisation load first."))
    load = SterilisationLoad.objects.select_for_update().get(pk=load.pk)
    if load.centre_id != pack.centre_id:
        _refuse(_("That load is of another centre."))
    if load.status != LoadStatus.OPEN:
        _refuse(_("Load %(load)s has already run: open a new load.") % {"load": str(load)})
    if pack.instrument_set.is_implant and not load.has_implant:
        load.has_implant = True
        load.save(update_fields=["has_implant", "updated_at"])
    pack.load = load
    event.load = load
    event.institution_id = pack.centre.institution_id


def _store(actor, pack, data, event, now, expired) -> None:
    load = pack.load
    if load is None or load.status != LoadStatus.RELEASED:
        reasons = release_blockers(load) if load is not None else []
        _refuse(
            _("Pack %(code)s: its load is not released. %(why)s")
            % {"code": pack.barcode, "why": " ".join(reasons)}
        )
    event.load = load
    event.institution_id = pack.centre.institution_id


def _issue(actor, pack, data, event, now, expired) -> None:
    branch = data.branch
    if branch is None:
        _refuse(_("Choose the branch the packs go to."))
    if data.request is not None and data.request.branch_id != branch.pk:
        _refuse(_("That request is from another branch."))
    event.request = data.request
    event.institution_id = branch.pk
    pack.location_id = branch.pk


def _receive(actor, pack, data, event, now, expired) -> None:
    event.institution_id = pack.location_id


def _use(actor, pack, data, event, now, expired) -> None:
    if data.patient is None:
        _refuse(_("Choose the patient the pack is used on."))
    procedure = clean(data.procedure, 120)
    if not procedure:
        _refuse(_("Name the procedure."))
    if data.surgeon is None:
        _refuse(_("Choose the surgeon."))
    event.patient = data.patient
    event.procedure = procedure
    event.surgeon = data.surgeon
    event.institution_id = pack.location_id


def _return(actor, pack, data, event, now, expired) -> None:
    if not (pack.recalled or expired):
        _refuse(
            _("Pack %(code)s is neither recalled nor expired: use it, or send it back used.")
            % {"code": pack.barcode}
        )
    event.institution_id = pack.location_id
    pack.location_id = pack.centre.institution_id
    account_returned(pack, actor=actor, now=now, how="returned by the branch")


_HANDLERS = {
    Step.COLLECT: _collect,
    Step.WASH: _wash,
    Step.PACK: _pack,
    Step.STERILISE: _sterilise,
    Step.STORE: _store,
    Step.ISSUE: _issue,
    Step.RECEIVE: _receive,
    Step.USE: _use,
    Step.RETURN: _return,
}
