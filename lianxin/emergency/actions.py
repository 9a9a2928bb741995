"""Writes of the emergency app: road networks, and green-channel cases.

Who may do what:
- import a road network or change its speeds: ``MANAGE_NETWORK`` at the community's lead (or
  an operator at the console, ``actor=None``);
- open a case, record its times, attach its patient: ``EMERGENCY_ROUTING`` at the desk's
  institution (the destination's clinicians record arrival and treatment too:
  ``PERFORM_SERVICE`` there);
- open the green-channel referral when a transfer follows: a clinician of the site the patient
  was taken to (``REQUEST_SERVICE`` there), through the referrals app's own action.
"""

from __future__ import annotations

import datetime
import math
import uuid
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.emergency import rules
from lianxin.emergency.advice import Advice
from lianxin.emergency.models import GreenChannelCase, RoadNetwork, TableStatus
from lianxin.emergency.roads import RoadImportError, read_osm
from lianxin.emergency.tasks import enqueue_rebuild
from lianxin.network.models import Community, Institution
from lianxin.outreach.models import Posting
from lianxin.patients.models import Patient
from lianxin.workforce.models import Practitioner


def _check_network_admin(actor: Any, community: Community) -> None:
    if actor is None:
        return  # the console operator
    if not access_for(actor).has_perm(Perm.MANAGE_NETWORK, community.lead_id):
        raise NotAllowed(_("Only the community's network administrator manages its roads."))


def do_import_road_network(
    *,
    actor: Any,
    community: Community,
    path: str | Path,
    source_name: str = "",
    licence: str = "",
    rebuild: bool = True,
) -> RoadNetwork:
    """Import (or replace) the community's road network from an OpenStreetMap file; the
    travel-time table is rebuilt in the background."""
    _check_network_admin(actor, community)
    try:
        graph = read_osm(path)
    except RoadImportError as exc:
        raise ActionError(_("Road import failed: %(e)s") % {"e": exc}, code="bad_file") from exc
    south, west, north, east = graph.bounds()
    values = {
        "source_name": (source_name or Path(path).name)[:200],
        "licence": licence[:300],
        "imported_at": timezone.now(),
        "imported_by": actor if getattr(actor, "is_authenticated", False) else None,
        "nodes": graph.nodes,
        "edges": graph.edges,
        "oneway_segments": graph.oneway_segments,
        "south": south,
        "west": west,
        "north": north,
        "east": east,
        "graph_data": graph.to_bytes(),
        "status": TableStatus.PENDING,
        "progress": 0,
    }
    with transaction.atomic():
        network, created = RoadNetwork.objects.update_or_create(
            community=community, defaults=values
        )
        audit.record(
            "emergency.roads.import",
            actor=actor if actor is not None else "lianxin import_roads",
            target=network,
            institution=community.lead_id,
            after={
                "source": values["source_name"],
                "nodes": graph.nodes,
                "edges": graph.edges,
                "oneway_segments": graph.oneway_segments,
                "replaced": not created,
            },
        )
        if rebuild:
            enqueue_rebuild(network.pk)
    return network


def do_set_road_speeds(*, actor: Any, network: RoadNetwork, speeds: dict[str, Any]) -> RoadNetwork:
    """Set this county's speeds by road class (km/h, within ``rules.SPEED_OVERRIDE_KMH``):
    the classes given replace the county's previous overrides, a class not given (or given at
    the table's speed) goes back to the table. The travel-time table is rebuilt."""
    _check_network_admin(actor, network.community)
    clean: dict[str, float] = {}
    errors: dict[str, list[str]] = {}
    low, high = rules.SPEED_OVERRIDE_KMH
    for road, value in speeds.items():
        if road not in rules.DRIVABLE:
            errors.setdefault("__all__", []).append(_("Unknown road class %(c)s.") % {"c": road})
            continue
        try:
            kmh = float(value)
        except (TypeError, ValueError):
            errors[road] = [_("Give a speed in km/h.")]
            continue
        if not (math.isfinite(kmh) and low <= kmh <= high):
            errors[road] = [
                _("A speed lies between %(lo)g and %(hi)g km/h.") % {"lo": low, "hi": high}
            ]
            continue
        if kmh != rules.ROAD_SPEEDS_KMH[road]:
            clean[road] = kmh
    if errors:
        raise ValidationError(errors)
    if clean == (network.speed_overrides or {}):
        return network  # nothing changed: no audit row, no rebuild
    with transaction.atomic():
        before = dict(network.speed_overrides or {})
        network.speed_overrides = clean
        network.save(update_fields=["speed_overrides", "updated_at"])
        audit.record(
            "emergency.roads.speeds",
            actor=actor,
            target=network,
            institution=network.community.lead_id,
            before=before,
            after=clean,
        )
        enqueue_rebuild(network.pk)
    return network


def do_rebuild_travel_times(*, actor: Any, network: RoadNetwork) -> RoadNetwork:
    _check_network_admin(actor, network.community)
    with transaction.atomic():
        audit.record(
            "emergency.roads.rebuild",
            actor=actor,
            target=network,
            institution=network.community.lead_id,
        )
        enqueue_rebuild(network.pk)
    return network


# --- Cases ---------------------------------------------------------------------------------


def desk_institution(actor: Any, given: Institution | None = None) -> Institution:
    access = access_for(actor)
    allowed = access.institutions_with(Perm.EMERGENCY_ROUTING)
    if given is not None:
        if not (access.is_superuser or given.pk in allowed):
            raise NotAllowed(_("You do not work at the emergency desk of %(i)s.") % {"i": given})
        return given
    if not allowed:
        raise NotAllowed(_("Only the emergency desk opens green-channel cases."))
    return Institution.objects.get(pk=min(allowed))


def _credited(option) -> tuple[Practitioner | None, Posting | None]:
    provider = option.credited if option is not None else None
    if provider is None:
        return None, None
    practitioner = Practitioner.objects.filter(external_id=provider.practitioner_id).first()
    posting = (
        Posting.objects.filter(external_id=provider.posting_id).first()
        if provider.posting_id
        else None
    )
    return practitioner, posting


def _saved(case: GreenChannelCase) -> float | None:
    """The default destination's minutes to treatment minus the chosen one's, both estimated
    from the same advice at the call (so dispatch delays do not count against the choice; the
    actual call-to-treatment time is recorded beside it)."""
    if case.default_minutes is None or case.chosen_minutes is None:
        return None
    return round(case.default_minutes - case.chosen_minutes, 1)


def advice_snapshot(advice: Advice) -> dict[str, Any]:
    return {
        "estimate": advice.estimate,
        "notes": [str(n) for n in advice.notes],
        "missing": [str(m) for m in advice.missing],
        "options": [
            {
                "site": str(o.site.external_id),
                "name": o.site.name,
                "minutes": round(o.minutes, 1),
                "travel_minutes": round(o.travel_minutes, 1),
                "treatment": str(o.treatment.name),
                "reasons": [str(r) for r in o.reasons],
            }
            for o in advice.options[:8]
        ],
        "plans": [
            {
                "kind": p.kind,
                "text": str(p.text),
                "first": p.first.site.name,
                "then": p.then.site.name if p.then else None,
                "then_minutes": round(p.then_minutes, 1) if p.then_minutes else None,
            }
            for p in advice.plans
        ],
    }


def do_open_case(
    *,
    actor: Any,
    advice: Advice,
    call_at: datetime.datetime | None = None,
    onset_at: datetime.datetime | None = None,
    chosen: Institution | None = None,
    choice_reason: str = "",
    patient: Patient | None = None,
    patient_description: str = "",
    desk: Institution | None = None,
) -> GreenChannelCase:
    """Open a green-channel case from an advice; the chosen destination defaults to the advised
    one, and another choice needs a reason."""
    desk = desk_institution(actor, desk)
    now = timezone.now()
    call_at = call_at or now
    errors: dict[str, list[str]] = {}
    if advice.advised is None:
        raise ActionError(
            _("No site can give %(t)s: nothing to advise.")
            % {"t": advice.condition.definitive.name},
            code="no_destination",
        )
    if call_at > now + datetime.timedelta(minutes=5):
        errors["call_at"] = [_("The call cannot be in the future.")]
    if onset_at is not None and onset_at > call_at:
        errors["onset_at"] = [_("The onset comes before the call.")]
    chosen_option = advice.advised
    if chosen is not None and chosen.pk != advice.advised.site.pk:
        chosen_option = next((o for o in advice.options if o.site.pk == chosen.pk), None)
        if chosen_option is None:
            errors["chosen"] = [_("%(s)s cannot give this treatment now.") % {"s": chosen}]
        if not choice_reason.strip():
            errors["choice_reason"] = [_("Say why another destination than the advised one.")]
    if patient is not None and not Patient.objects.visible_to(actor).filter(pk=patient.pk).exists():
        errors["patient"] = [_("No such patient in your records.")]
    if errors:
        raise ValidationError(errors)
    practitioner, posting = _credited(chosen_option)
    origin = advice.origin
    with transaction.atomic():
        case = GreenChannelCase(
            desk_institution=desk,
            patient=patient,
            patient_description=patient_description.strip()[:120],
            condition=advice.condition.code,
            capability=chosen_option.treatment.capability,
            village=origin.village,
            place=(origin.label or "")[:200],
            latitude=origin.lat,
            longitude=origin.lon,
            is_estimate=advice.estimate,
            advised=advice.advised.site,
            advised_minutes=round(advice.advised.minutes, 1),
            default_destination=advice.default.site if advice.default else None,
            default_minutes=round(advice.default.minutes, 1) if advice.default else None,
            chosen=chosen_option.site,
            chosen_minutes=round(chosen_option.minutes, 1),
            choice_reason=choice_reason.strip(),
            credited_practitioner=practitioner,
            credited_posting=posting,
            advice=advice_snapshot(advice),
            onset_at=onset_at,
            call_at=call_at,
            opened_by=actor,
        )
        case.minutes_saved = _saved(case)
        case.save()
        audit.record(
            "emergency.case.open",
            actor=actor,
            target=case,
            institution=desk,
            after={
                "condition": case.condition,
                "advised": case.advised.name,
                "chosen": case.chosen.name,
                "patient": str(patient.external_id) if patient else None,
                "minutes_saved": case.minutes_saved,
            },
        )
    return case


def _may_record(actor: Any, case: GreenChannelCase) -> None:
    access = access_for(actor)
    if access.has_perm(Perm.EMERGENCY_ROUTING, case.desk_institution_id):
        return
    if case.chosen_id and access.has_perm(Perm.PERFORM_SERVICE, case.chosen_id):
        return
    raise NotAllowed(_("Only the desk and the receiving site record this case."))


def do_record_case_time(
    *, actor: Any, case: GreenChannelCase, field: str, at: datetime.datetime
) -> GreenChannelCase:
    """Record one timestamp (onset, call, departure, arrival, treatment start), in order."""
    if field not in rules.CASE_TIMES:
        raise ValidationError({"field": [_("Choose a timestamp from the list.")]})
    _may_record(actor, case)
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({field: [_("This time is in the future.")]})
    index = rules.CASE_TIMES.index(field)
    for earlier in rules.CASE_TIMES[:index]:
        value = getattr(case, earlier)
        if value is not None and at < value:
            raise ValidationError(
                {
                    field: [
                        _("This is earlier than %(f)s.")
                        % {"f": case._meta.get_field(earlier).verbose_name}
                    ]
                }
            )
    for later in rules.CASE_TIMES[index + 1 :]:
        value = getattr(case, later)
        if value is not None and at > value:
            raise ValidationError(
                {
                    field: [
                        _("This is later than %(f)s.")
                        % {"f": case._meta.get_field(later).verbose_name}
                    ]
                }
            )
    with transaction.atomic():
        before = getattr(case, field)
        setattr(case, field, at)
        case.minutes_saved = _saved(case)
        case.save(update_fields=[field, "minutes_saved", "updated_at"])
        audit.record(
            "emergency.case.time",
            actor=actor,
            target=case,
            institution=case.desk_institution_id,
            before={field: before},
            after={field: at, "minutes_saved": case.minutes_saved},
        )
    return case


def do_attach_patient(*, actor: Any, case: GreenChannelCase, patient: Patient) -> GreenChannelCase:
    """Attach the patient once identified (an unknown patient's temporary identity or the
    registered one), found through the patients app's scoped lookup."""
    _may_record(actor, case)
    if not Patient.objects.visible_to(actor).filter(pk=patient.pk).exists():
        raise ValidationError({"patient": [_("No such patient in your records.")]})
    if case.patient_id and case.patient_id != patient.pk and case.referral_id:
        raise ActionError(_("The referral already names another patient."), code="conflict")
    with transaction.atomic():
        before = str(case.patient.external_id) if case.patient_id else None
        case.patient = patient
        case.save(update_fields=["patient", "updated_at"])
        audit.record(
            "emergency.case.patient",
            actor=actor,
            target=case,
            institution=case.desk_institution_id,
            before={"patient": before},
            after={"patient": str(patient.external_id)},
        )
    return case


def do_open_transfer_referral(
    *,
    actor: Any,
    case: GreenChannelCase,
    performer_institution: Institution,
    reason: str,
    diagnosis_text: str,
    diagnosis_code: str = "",
) -> GreenChannelCase:
    """The site the patient was taken to transfers them on: the green-channel referral is
    opened through the referrals app's action (which checks its own rules), and linked here."""
    from lianxin.referrals.actions.referrals import do_create_referral
    from lianxin.referrals.rules import Direction, Urgency

    if case.patient_id is None:
        raise ValidationError({"patient": [_("Attach the patient before the referral.")]})
    if case.referral_id:
        raise ActionError(_("This case already has its referral."), code="duplicate")
    with transaction.atomic():
        referral = do_create_referral(
            actor=actor,
            patient=case.patient,
            direction=Direction.UP,
            urgency=Urgency.EMERGENCY,
            requester_institution=case.chosen,
            performer_institution=performer_institution,
            reason=reason,
            diagnosis_text=diagnosis_text,
            diagnosis_code=diagnosis_code,
        )
        case.referral = referral
        case.save(update_fields=["referral", "updated_at"])
        audit.record(
            "emergency.case.referral",
            actor=actor,
            target=case,
            institution=case.chosen_id,
            after={"referral": str(referral.external_id), "to": performer_institution.name},
        )
    return case


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
