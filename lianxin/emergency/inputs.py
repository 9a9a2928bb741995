"""The one input definition of each emergency-desk request, for the pages and the API alike.

A question names a condition and a place: a village (its public id, or a search by name or
pinyin that finds exactly one), coordinates, or a registered patient (their village of
residence). Anything else is an ``AdviceError`` (a 400 with a message). The writes (open a
case, record a time, attach the patient, refer on) are ``ActionForm``s below.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypinyin import Style, lazy_pinyin

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.inputs import ActionForm, ScopedChoiceField
from lianxin.core.permissions import Perm
from lianxin.emergency import actions
from lianxin.emergency.actions import parse_uuid
from lianxin.emergency.advice import AdviceError, Origin, advise, condition_for
from lianxin.emergency.models import RoadNetwork
from lianxin.emergency.rules import (
    CASE_TIMES,
    ROAD_CLASS_NAMES,
    ROAD_SPEEDS_KMH,
    SPEED_OVERRIDE_KMH,
)
from lianxin.network.models import Institution, Tier
from lianxin.patients.models import Patient

VILLAGE_SUFFIXES = ("卫生室", "村卫生所")
MAX_MATCHES = 20


@dataclass
class Question:
    origin: Origin
    condition: str
    at: datetime.datetime


def require_desk(user: Any) -> None:
    from django.core.exceptions import PermissionDenied

    if not access_for(user).has_perm(Perm.EMERGENCY_ROUTING):
        raise PermissionDenied(_("Only the emergency desk asks for destination advice."))


def villages_for(user: Any):
    return Institution.objects.visible_to(user).filter(tier=Tier.VILLAGE, is_active=True)


def _keys(name: str) -> tuple[str, str]:
    """Pinyin initials and full pinyin of a village name (书洋镇茶寮村 → SYZCLC, shuyangzhen…)."""
    for suffix in VILLAGE_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper()
    full = "".join(lazy_pinyin(name)).lower()
    return initials, full


def search_villages(user: Any, q: str) -> list[Institution]:
    """Villages whose name holds ``q``, or whose pinyin (initials or full) contains it."""
    q = (q or "").strip()
    if not q:
        return []
    rows = list(villages_for(user).order_by("name"))
    if any("\u4e00" <= ch <= "\u9fff" for ch in q):
        return [v for v in rows if q in v.name][:MAX_MATCHES]
    upper, lower = q.upper().replace(" ", ""), q.lower().replace(" ", "")
    out = []
    for village in rows:
        initials, full = _keys(village.short_name or village.name)
        long_initials, long_full = _keys(village.name)
        if upper in initials or upper in long_initials or lower in full or lower in long_full:
            out.append(village)
    return out[:MAX_MATCHES]


def _float(data: Mapping[str, Any], key: str, low: float, high: float) -> float:
    raw = data.get(key)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise AdviceError(
            _("%(k)s must be a number.") % {"k": key}, code="bad_coordinates"
        ) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise AdviceError(
            _("%(k)s must lie between %(lo)s and %(hi)s.") % {"k": key, "lo": low, "hi": high},
            code="bad_coordinates",
        )
    return value


def _village_origin(village: Institution) -> Origin:
    if village.latitude is None or village.longitude is None:
        raise AdviceError(
            _("%(v)s has no position in the registry.") % {"v": village.name}, code="no_position"
        )
    return Origin(float(village.latitude), float(village.longitude), village.name, village)


def parse_question(user: Any, data: Mapping[str, Any]) -> Question:
    """Read a question from GET/POST or JSON data."""
    condition = str(data.get("condition") or "").strip()
    condition_for(condition)  # unknown → AdviceError
    at = timezone.now()
    raw_at = data.get("at")
    if raw_at:
        parsed = parse_datetime(str(raw_at))
        if parsed is None:
            raise AdviceError(_("at: give an ISO date-time."), code="bad_time")
        at = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    village_id = data.get("village")
    patient_id = data.get("patient")
    if village_id:
        key = parse_uuid(village_id)
        village = villages_for(user).filter(external_id=key).first() if key else None
        if village is None:
            raise AdviceError(_("No such village in your network."), code="unknown_village")
        return Question(_village_origin(village), condition, at)
    if patient_id:
        return Question(_patient_origin(user, patient_id), condition, at)
    if data.get("lat") not in (None, "") or data.get("lon") not in (None, ""):
        lat = _float(data, "lat", -90, 90)
        lon = _float(data, "lon", -180, 180)
        return Question(
            Origin(lat, lon, _("(%(lat).5f, %(lon).5f)") % {"lat": lat, "lon": lon}), condition, at
        )
    q = str(data.get("q") or "").strip()
    if q:
        found = search_villages(user, q)
        if len(found) == 1:
            return Question(_village_origin(found[0]), condition, at)
        if not found:
            raise AdviceError(_("No village matches %(q)s.") % {"q": q}, code="unknown_village")
        raise AdviceError(
            _("%(n)d villages match %(q)s: choose one.") % {"n": len(found), "q": q},
            code="ambiguous_village",
        )
    raise AdviceError(
        _("Say where the patient is: a village, coordinates or a registered patient."),
        code="no_place",
    )


def _patient_origin(user: Any, patient_id: Any) -> Origin:
    """A registered patient's village of residence (the read is audited)."""
    from django.db import transaction

    key = parse_uuid(patient_id)
    patient = Patient.objects.visible_to(user).filter(external_id=key).first() if key else None
    if patient is None:
        raise AdviceError(_("No such patient in your records."), code="unknown_patient")
    village = (
        villages_for(user).filter(division_code=patient.division_code).first()
        if patient.division_code
        else None
    )
    with transaction.atomic():
        audit.record(
            "emergency.patient.locate",
            actor=user,
            target=patient,
            after={"village": village.name if village else None},
        )
    if village is None:
        raise AdviceError(
            _("The patient's residence is not a village in your network: give the place."),
            code="no_position",
        )
    return _village_origin(village)


def networks_for(user: Any):
    return RoadNetwork.objects.visible_to(user)


def registry_reach(user: Any) -> list[int] | None:
    access = access_for(user)
    return None if access.is_superuser else list(access.registry_institution_ids)


# --- Writes: one input definition per action (docs/architecture.md, "One way in per action") --

DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _datetime_field(label, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class OpenCaseForm(ActionForm):
    """Open a green-channel case from the advice for a place and a condition
    (``do_open_case``); the destination defaults to the advised one."""

    success = gettext_lazy("Green-channel case opened.")
    condition = forms.CharField(label=gettext_lazy("Condition"), max_length=30)
    village = ScopedChoiceField(
        Institution.objects.filter(tier=Tier.VILLAGE), label=gettext_lazy("Village"), required=False
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"), required=False, min_value=-90, max_value=90
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180
    )
    chosen = ScopedChoiceField(
        Institution.objects.all(), label=gettext_lazy("Destination"), required=False
    )
    choice_reason = forms.CharField(
        label=gettext_lazy("Why another than the advised one"), max_length=1000, required=False
    )
    onset_at = _datetime_field(gettext_lazy("Onset"))
    patient_description = forms.CharField(
        label=gettext_lazy("Patient as described"), max_length=120, required=False
    )

    def act(self, data: dict[str, Any]) -> Any:
        question = {
            "condition": data["condition"],
            "village": str(data["village"].external_id) if data.get("village") else "",
            "lat": data.get("lat"),
            "lon": data.get("lon"),
        }
        asked = parse_question(self.user, question)
        result = advise(
            asked.origin,
            asked.condition,
            networks=networks_for(self.user),
            at=asked.at,
            among=registry_reach(self.user),
        )
        return actions.do_open_case(
            actor=self.user,
            advice=result,
            chosen=data.get("chosen"),
            choice_reason=data.get("choice_reason") or "",
            onset_at=data.get("onset_at"),
            patient_description=data.get("patient_description") or "",
        )


class RecordCaseTimeForm(ActionForm):
    """Record one of the case's timestamps, in order (``do_record_case_time``); empty is now."""

    success = gettext_lazy("Time recorded.")
    field = forms.ChoiceField(label=gettext_lazy("Timestamp"), choices=[(f, f) for f in CASE_TIMES])
    at = _datetime_field(gettext_lazy("Time"))

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_record_case_time(
            actor=self.user,
            case=self.target,
            field=data["field"],
            at=data.get("at") or timezone.now(),
        )


class AttachPatientForm(ActionForm):
    """Attach the patient once identified, found through the patients app's scoped lookup
    (``do_attach_patient``)."""

    success = gettext_lazy("Patient attached.")
    patient = ScopedChoiceField(Patient.objects.all(), label=gettext_lazy("Patient"))

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_attach_patient(actor=self.user, case=self.target, patient=data["patient"])


class TransferReferralForm(ActionForm):
    """The receiving site transfers the patient on: the green-channel referral, through the
    referrals app's action (``do_open_transfer_referral``)."""

    success = gettext_lazy("Green-channel referral opened.")
    performer = ScopedChoiceField(Institution.objects.all(), label=gettext_lazy("To"))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=4000)
    diagnosis_text = forms.CharField(label=gettext_lazy("Working diagnosis"), max_length=200)
    diagnosis_code = forms.CharField(label=gettext_lazy("ICD-10"), max_length=20, required=False)

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_open_transfer_referral(
            actor=self.user,
            case=self.target,
            performer_institution=data["performer"],
            reason=data["reason"],
            diagnosis_text=data["diagnosis_text"],
            diagnosis_code=data.get("diagnosis_code") or "",
        )


# --- The road network: the county's speeds, the rebuild --------------------------------------


class _RoadSpeedsBase(ActionForm):
    """Set the county's speed of each road class (``do_set_road_speeds``); a class left empty
    takes the table's speed (``rules.ROAD_SPEEDS_KMH``), so what is sent replaces the previous
    overrides. The travel-time table is rebuilt in the background."""

    success = gettext_lazy("Speeds saved; the travel-time table is being rebuilt.")
    # Not road classes, on either path.
    IGNORED = frozenset({"csrfmiddlewaretoken"})

    def setup(self) -> None:
        if self.target is not None and not self.is_bound:
            self.initial = {**(self.target.speed_overrides or {}), **self.initial}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        unknown = sorted(
            str(k) for k in (self.data or {}) if k not in self.fields and k not in self.IGNORED
        )
        if unknown:
            raise forms.ValidationError(
                _("Unknown road class %(c)s.") % {"c": "、".join(unknown)}, code="unknown_class"
            )
        return data

    def act(self, data: dict[str, Any]) -> Any:
        speeds = {road: data[road] for road in ROAD_SPEEDS_KMH if data.get(road) is not None}
        return actions.do_set_road_speeds(actor=self.user, network=self.target, speeds=speeds)


def _speed_field(road: str) -> forms.FloatField:
    low, high = SPEED_OVERRIDE_KMH
    return forms.FloatField(
        label=ROAD_CLASS_NAMES.get(road, road),
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"step": "any", "min": low, "max": high}),
    )


# One optional field per road class of the table, named by its OpenStreetMap class.
SetRoadSpeedsForm = type(ActionForm)(
    "SetRoadSpeedsForm",
    (_RoadSpeedsBase,),
    {
        "__module__": __name__,
        "__doc__": _RoadSpeedsBase.__doc__,
        **{road: _speed_field(road) for road in ROAD_SPEEDS_KMH},
    },
)


class RebuildTravelTimesForm(ActionForm):
    """Rebuild the travel-time table now, e.g. after sites moved (``do_rebuild_travel_times``)."""

    success = gettext_lazy("The travel-time table is being rebuilt.")

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_rebuild_travel_times(actor=self.user, network=self.target)


NETWORK_STEPS = {"speeds": SetRoadSpeedsForm, "rebuild": RebuildTravelTimesForm}

STEPS = {
    "time": RecordCaseTimeForm,
    "patient": AttachPatientForm,
    "referral": TransferReferralForm,
}
