"""What a visit's measurements mean, by the rules (rules.py): plausibility, the control class of
each programme, the referral triggers, the next due date. Pure functions: no database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from lianxin.primarycare.rules import (
    BP_TARGET,
    FASTING_GLUCOSE_TARGET,
    NEXT_VISIT_CONTROLLED,
    NEXT_VISIT_UNCONTROLLED,
    POPULATION_RULES,
    RANGES,
    SCHEDULE_MEASURES,
    SCHEDULES,
    URGENT_DIASTOLIC,
    URGENT_GLUCOSE_HIGH,
    URGENT_GLUCOSE_LOW,
    URGENT_HEART_RATE,
    URGENT_SYSTOLIC,
    URGENT_TEMPERATURE,
    Control,
    Population,
)


@dataclass
class Measurements:
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    glucose: Decimal | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    temperature: Decimal | None = None
    danger_signs: bool = False
    adverse_reaction: str = ""
    complication: bool = False
    extra: dict = field(default_factory=dict)


def implausible(m: Measurements) -> dict[str, list[str]]:
    """Errors for values no living patient has (typing errors), by field."""
    errors: dict[str, list[str]] = {}
    for name, (low, high) in RANGES.items():
        value = getattr(m, name)
        if value is not None and not (low <= Decimal(value) <= high):
            errors[name] = [
                _("%(value)s is not a possible value (%(low)s–%(high)s).")
                % {"value": value, "low": low, "high": high}
            ]
    if (m.systolic is None) != (m.diastolic is None):
        errors.setdefault("diastolic", []).append(_("Give both blood pressure values."))
    elif m.systolic is not None and m.diastolic >= m.systolic:
        errors.setdefault("diastolic", []).append(
            _("The diastolic pressure must be below the systolic.")
        )
    return errors


def required_for(programme: str, m: Measurements) -> dict[str, list[str]]:
    """The measurements 规范(第三版) names for each programme's visit."""
    errors: dict[str, list[str]] = {}
    if programme in (Population.HYPERTENSION, Population.DIABETES) and m.systolic is None:
        errors["systolic"] = [_("Measure the blood pressure at this follow-up.")]
    if programme == Population.DIABETES and m.glucose is None:
        errors["glucose"] = [_("Measure the fasting glucose at this follow-up.")]
    measures = {
        "systolic": _("Measure the blood pressure at this follow-up."),
        "weight_kg": _("Weigh at this follow-up."),
        "height_cm": _("Measure the length or height at this follow-up."),
    }
    for name in SCHEDULE_MEASURES.get(programme, ()):
        if getattr(m, name) is None:
            errors.setdefault(name, [measures[name]])
    return errors


def scheduled_due(programme: str, anchor: datetime.date, step: int) -> datetime.date | None:
    """The day the schedule's visit ``step`` is due by; None once the schedule is done."""
    schedule = SCHEDULES[programme]
    if step >= len(schedule):
        return None
    return anchor + datetime.timedelta(days=schedule[step].due)


def first_step(programme: str, anchor: datetime.date, on: datetime.date) -> int:
    """Where a schedule starts for someone who joins on ``on``: the first visit not yet past
    its window (earlier ones are not owed any more)."""
    schedule = SCHEDULES[programme]
    for index, visit in enumerate(schedule):
        if anchor + datetime.timedelta(days=visit.due) >= on:
            return index
    return len(schedule)


def step_after(programme: str, anchor: datetime.date, step: int, visited_on: datetime.date) -> int:
    """The next step after a visit on ``visited_on``: it meets the visit due now and every later
    one whose window has opened by then (a late visit does not leave a gap owed)."""
    schedule = SCHEDULES[programme]
    if step < len(schedule) and visited_on < anchor + datetime.timedelta(
        days=schedule[step].starts
    ):
        return step  # before the window opens: an extra visit, the scheduled one still due
    nxt = step + 1
    while (
        nxt < len(schedule) and anchor + datetime.timedelta(days=schedule[nxt].starts) <= visited_on
    ):
        nxt += 1
    return nxt


def control(programme: str, m: Measurements) -> str:
    """The class of this visit (规范(第三版) 分类干预); blank for programmes without one."""
    if programme not in (Population.HYPERTENSION, Population.DIABETES):
        return ""
    if m.complication:
        return Control.COMPLICATION
    if m.adverse_reaction:
        return Control.ADVERSE
    if programme == Population.HYPERTENSION:
        ok = m.systolic < BP_TARGET[0] and m.diastolic < BP_TARGET[1]
    else:
        ok = m.glucose < FASTING_GLUCOSE_TARGET
    return Control.CONTROLLED if ok else Control.UNCONTROLLED


def urgent_triggers(programmes: set[str], m: Measurements) -> list[str]:
    """Findings that call for an urgent up-referral (紧急转诊) under the programmes' rules."""
    found = []
    chronic = programmes & {Population.HYPERTENSION, Population.DIABETES}
    if m.systolic is not None and (
        m.systolic >= URGENT_SYSTOLIC or m.diastolic >= URGENT_DIASTOLIC
    ):
        found.append("bp")
    if m.glucose is not None and m.glucose >= URGENT_GLUCOSE_HIGH:
        found.append("glucose_high")
    if m.glucose is not None and m.glucose <= URGENT_GLUCOSE_LOW:
        found.append("glucose_low")
    if Population.DIABETES in programmes:
        if m.heart_rate is not None and m.heart_rate > URGENT_HEART_RATE:
            found.append("heart_rate")
        if m.temperature is not None and m.temperature > URGENT_TEMPERATURE:
            found.append("temperature")
    if m.danger_signs and chronic:
        found.append("symptoms")
    return found


def next_due(
    programme: str, klass: str, visited_on: datetime.date, uncontrolled_before: int
) -> tuple[datetime.date, bool]:
    """The next due date, and whether the rules ask for a (non-urgent) referral: twice in a row
    not controlled, an adverse reaction or a complication (规范(第三版) 分类干预 3)."""
    rule = POPULATION_RULES.get(programme)
    if klass == "":
        return visited_on + datetime.timedelta(days=rule.interval_days if rule else 90), False
    if klass == Control.CONTROLLED:
        return visited_on + NEXT_VISIT_CONTROLLED, False
    refer = klass in (Control.ADVERSE, Control.COMPLICATION) or uncontrolled_before >= 1
    return visited_on + NEXT_VISIT_UNCONTROLLED, refer
