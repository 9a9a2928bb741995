"""Washer and steriliser loads, their monitoring (physical, chemical, biological, Bowie-Dick) and
their release (WS 310.3-2016 4.4)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.errors import ActionError, Conflict
from lianxin.core.permissions import Perm
from lianxin.network.models import EquipmentStatus
from lianxin.sterile.actions.common import clean, require
from lianxin.sterile.models import (
    BiResult,
    BowieDickTest,
    LoadStatus,
    Machine,
    Pack,
    SterilisationLoad,
    WasherLoad,
)
from lianxin.sterile.rules import (
    EMERGENCY_RELEASE_MIN_CLASS,
    MONITORING,
    PASSES_AFTER_BI_FAILURE,
    PROGRAMS,
    BiFrequency,
    MachineKind,
    Method,
    RecallReason,
    parameter_problems,
    shelf_life_days,
)


def _machine_in_use(machine: Machine) -> None:
    if machine.equipment.status != EquipmentStatus.IN_USE:
        raise Conflict(
            _("%(machine)s is recorded as %(status)s; it cannot run a load.")
            % {"machine": machine.name, "status": machine.equipment.get_status_display()}
        )


def _program(code: str, method: str) -> Any:
    program = PROGRAMS.get(code)
    if program is None or program.method != method:
        raise ValidationError({"program": [_("Choose one of this machine's programs.")]})
    return program


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError({field: [_("Enter a number.")]}) from exc


def do_start_washer_load(
    *,
    actor: Any,
    machine: Machine,
    program: str,
    temperature: Any = None,
    minutes: Any = None,
    a0: Any = None,
    started_at: datetime.datetime | None = None,
) -> WasherLoad:
    """Record a washer-disinfector run with its printout's parameters (WS 310.3-2016 4.2.2)."""
    require(actor, Perm.PROCESS_STERILE, machine.centre.institution_id)
    if machine.kind != MachineKind.WASHER:
        raise ValidationError({"machine": [_("Choose a washer-disinfector.")]})
    _machine_in_use(machine)
    spec = _program(program, Method.THERMAL)
    temp, mins = _decimal(temperature, "temperature"), _decimal(minutes, "minutes")
    a0_value = int(a0) if a0 not in (None, "") else None
    problems = parameter_problems(spec, temperature=temp, minutes=mins, a0=a0_value)
    with transaction.atomic():
        load = WasherLoad.objects.create(
            centre=machine.centre,
            machine=machine,
            program=program,
            started_at=started_at or timezone.now(),
            temperature=temp,
            minutes=mins,
            a0=a0_value,
            passed=not problems,
            problems="；".join(problems)[:200],
            operator=actor,
        )
        audit.record(
            "sterile.washer_load.record",
            actor=actor,
            target=load,
            institution=machine.centre.institution_id,
            after={"program": program, "a0": a0_value, "passed": not problems},
        )
    return load


def _bi_reason(machine: Machine, started_at: datetime.datetime) -> str:
    """Why this load carries a biological indicator under the frequency rule ('' if it need not).

    An implant in the load adds the implant reason when the load finishes."""
    rule = MONITORING.get(machine.method)
    if rule is None:
        return ""
    if on_probation(machine, before=started_at):
        return "probation"
    if rule.bi_frequency == BiFrequency.EVERY_LOAD:
        return "every_load"
    day = timezone.localdate(started_at)
    earlier = SterilisationLoad.objects.filter(machine=machine, started_at__lt=started_at)
    if rule.bi_frequency == BiFrequency.DAILY:
        since = day
    else:
        since = day - datetime.timedelta(days=day.weekday())
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    has_bi = earlier.filter(started_at__gte=start).exclude(bi_reason="").exists()
    return "" if has_bi else rule.bi_frequency


def on_probation(machine: Machine, *, before: datetime.datetime | None = None) -> bool:
    """After a positive BI the steriliser needs three passing BIs in a row (WS 310.3-2016
    4.4.1.4): until then every load carries one and waits for it."""
    loads = SterilisationLoad.objects.filter(machine=machine).exclude(bi_result="")
    if before is not None:
        loads = loads.filter(started_at__lt=before)
    last_positive = loads.filter(bi_result=BiResult.POSITIVE).aggregate(at=Max("started_at"))["at"]
    if last_positive is None:
        return False
    passes = loads.filter(started_at__gt=last_positive, bi_result=BiResult.NEGATIVE).count()
    return passes < PASSES_AFTER_BI_FAILURE


def do_start_sterilisation_load(
    *,
    actor: Any,
    machine: Machine,
    program: str,
    started_at: datetime.datetime | None = None,
) -> SterilisationLoad:
    """Open a steriliser load; packs join it by the sterilisation scan."""
    require(actor, Perm.PROCESS_STERILE, machine.centre.institution_id)
    if machine.kind != MachineKind.STERILISER:
        raise ValidationError({"machine": [_("Choose a steriliser.")]})
    _machine_in_use(machine)
    _program(program, machine.method)
    started_at = started_at or timezone.now()
    with transaction.atomic():
        locked = Machine.objects.select_for_update().get(pk=machine.pk)
        last = SterilisationLoad.objects.filter(machine=locked).aggregate(n=Max("cycle_number"))
        load = SterilisationLoad.objects.create(
            centre=machine.centre,
            machine=machine,
            cycle_number=(last["n"] or 0) + 1,
            program=program,
            started_at=started_at,
            operator=actor,
            bi_reason=_bi_reason(machine, started_at),
        )
        audit.record(
            "sterile.load.start",
            actor=actor,
            target=load,
            institution=machine.centre.institution_id,
            after={"cycle": load.cycle_number, "program": program, "bi": load.bi_reason},
        )
    return load


def _locked(load: SterilisationLoad) -> SterilisationLoad:
    return (
        SterilisationLoad.objects.select_for_update(of=("self",))
        .select_related("machine__centre", "machine__equipment")
        .get(pk=load.pk)
    )


def do_finish_load(
    *,
    actor: Any,
    load: SterilisationLoad,
    temperature: Any,
    minutes: Any,
    pressure_kpa: Any = None,
    chemical_class: int,
    chemical_ok: bool,
    finished_at: datetime.datetime | None = None,
) -> SterilisationLoad:
    """Record the run's physical parameters and chemical indicator (WS 310.3-2016 4.4.2.1–2).

    A load with an implant, or one the frequency rule picked, carries a BI and waits for it. A
    parameter out of range or a failed chemical indicator fails the load and opens its recall."""
    from lianxin.sterile.actions.recalls import do_open_recall

    require(actor, Perm.PROCESS_STERILE, load.centre.institution_id)
    if chemical_class not in (1, 4, 5, 6):
        raise ValidationError({"chemical_class": [_("Choose the chemical indicator class.")]})
    temp, mins = _decimal(temperature, "temperature"), _decimal(minutes, "minutes")
    pressure = _decimal(pressure_kpa, "pressure_kpa")
    with transaction.atomic():
        load = _locked(load)
        if load.status != LoadStatus.OPEN:
            raise Conflict(_("This load has already been finished."))
        if not load.packs.exists():
            raise ActionError(_("The load has no packs: scan packs into it first."))
        problems = parameter_problems(
            PROGRAMS[load.program], temperature=temp, minutes=mins, pressure_kpa=pressure
        )
        load.temperature, load.minutes, load.pressure_kpa = temp, mins, pressure
        load.physical_ok = not problems
        load.problems = "；".join(problems)[:200]
        load.chemical_class, load.chemical_ok = chemical_class, bool(chemical_ok)
        load.finished_at = finished_at or timezone.now()
        if load.has_implant and load.bi_reason != "probation":
            load.bi_reason = "implant"
        if load.bi_reason:
            load.bi_result = BiResult.PENDING
        failed = problems or not chemical_ok
        load.status = LoadStatus.FAILED if failed else LoadStatus.DONE
        load.save()
        audit.record(
            "sterile.load.finish",
            actor=actor,
            target=load,
            institution=load.centre.institution_id,
            after={
                "physical_ok": load.physical_ok,
                "chemical_ok": load.chemical_ok,
                "bi": load.bi_result,
                "problems": load.problems,
            },
        )
        if failed:
            reason = RecallReason.PARAMETERS if problems else RecallReason.CHEMICAL
            do_open_recall(actor=actor, reason=reason, load=load, now=load.finished_at)
    return load


def bowie_dick_of_day(machine: Machine, at: datetime.datetime) -> BowieDickTest | None:
    """The latest Bowie-Dick test of the machine on ``at``'s local day, up to ``at``."""
    day = timezone.localdate(at)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return (
        BowieDickTest.objects.filter(machine=machine, tested_at__gte=start, tested_at__lte=at)
        .order_by("-tested_at")
        .first()
    )


def release_blockers(
    load: SterilisationLoad, *, emergency: bool = False, at: datetime.datetime | None = None
) -> list[str]:
    """Why the load cannot be released now (empty: it can)."""
    at = at or timezone.now()
    out: list[str] = []
    if load.status == LoadStatus.RELEASED:
        return [_("The load is already released.")]
    if load.status == LoadStatus.OPEN:
        return [_("The load has not been run yet: record its parameters first.")]
    if load.status == LoadStatus.FAILED or load.bi_result == BiResult.POSITIVE:
        return [_("The load failed its monitoring; its packs are recalled.")]
    if not load.physical_ok:
        out.append(_("Physical parameters out of range (WS 310.3-2016 4.4.1.2)."))
    if not load.chemical_ok:
        out.append(_("Chemical indicator failed (WS 310.3-2016 4.4.1.3)."))
    rule = MONITORING.get(load.machine.method)
    if rule is not None and rule.bowie_dick_daily:
        test = bowie_dick_of_day(load.machine, load.started_at)
        if test is None or not test.passed:
            out.append(
                _(
                    "No passing Bowie-Dick test on %(day)s before this load: a pre-vacuum "
                    "steriliser's loads are released only on a day with a pass "
                    "(WS 310.3-2016 4.4.2.4)."
                )
                % {"day": timezone.localdate(load.started_at).isoformat()}
            )
    if load.bi_result == BiResult.PENDING:
        if load.bi_reason == "probation":
            out.append(
                _(
                    "The steriliser needs three passing biological indicators after a "
                    "failure: wait for this load's result (WS 310.3-2016 4.4.1.4)."
                )
            )
        elif load.has_implant and not emergency:
            out.append(
                _(
                    "An implant load is released only after a negative biological indicator "
                    "(WS 310.3-2016 4.4.1.5); an emergency release needs a reason."
                )
            )
        elif load.has_implant and (load.chemical_class or 0) < EMERGENCY_RELEASE_MIN_CLASS:
            out.append(
                _(
                    "An emergency release of an implant load needs a passing class 5 chemical "
                    "indicator (WS 310.3-2016 4.4.2.3 e)."
                )
            )
    return out


def do_release_load(
    *,
    actor: Any,
    load: SterilisationLoad,
    emergency_reason: str = "",
    now: datetime.datetime | None = None,
) -> SterilisationLoad:
    """Release a load to the sterile store: its packs get their expiry from their packaging."""
    require(actor, Perm.RELEASE_STERILE, load.centre.institution_id)
    now = now or timezone.now()
    reason = clean(emergency_reason)
    with transaction.atomic():
        load = _locked(load)
        emergency = bool(reason) and load.has_implant and load.bi_result == BiResult.PENDING
        blockers = release_blockers(load, emergency=emergency, at=now)
        if blockers:
            raise Conflict(" ".join(blockers))
        if load.machine.method in (Method.PRE_VACUUM_STEAM,):
            load.bowie_dick = bowie_dick_of_day(load.machine, load.started_at)
        load.status = LoadStatus.RELEASED
        load.released_at, load.released_by = now, actor
        load.emergency_reason = reason if emergency else ""
        load.save()
        sterilised = load.finished_at or now
        for packaging in set(load.packs.values_list("packaging", flat=True)):
            expires = sterilised + datetime.timedelta(days=shelf_life_days(packaging))
            load.packs.filter(packaging=packaging, cycle__gte=1).update(
                sterilised_at=sterilised, expires_at=expires
            )
        audit.record(
            "sterile.load.release",
            actor=actor,
            target=load,
            institution=load.centre.institution_id,
            after={"emergency": load.emergency_reason, "packs": load.packs.count()},
        )
    return load


def do_read_biological_indicator(
    *,
    actor: Any,
    load: SterilisationLoad,
    positive: bool,
    now: datetime.datetime | None = None,
) -> SterilisationLoad:
    """Record the BI's result. Positive: the load fails and its recall opens (WS 310.3-2016
    4.4.1.4); an emergency-released implant load is followed up either way."""
    from lianxin.sterile.actions.recalls import do_open_recall, notify_emergency_follow_up

    require(actor, Perm.RELEASE_STERILE, load.centre.institution_id)
    now = now or timezone.now()
    with transaction.atomic():
        load = _locked(load)
        if load.bi_result != BiResult.PENDING:
            raise Conflict(_("This load has no biological indicator waiting for a result."))
        load.bi_result = BiResult.POSITIVE if positive else BiResult.NEGATIVE
        load.bi_read_at, load.bi_read_by = now, actor
        if load.emergency_reason:
            load.followed_up_at = now
        if positive:
            load.status = LoadStatus.FAILED
        load.save()
        audit.record(
            "sterile.load.bi",
            actor=actor,
            target=load,
            institution=load.centre.institution_id,
            after={"result": load.bi_result, "emergency": bool(load.emergency_reason)},
        )
        if load.emergency_reason:
            notify_emergency_follow_up(load)
        if positive:
            do_open_recall(actor=actor, reason=RecallReason.BI_POSITIVE, load=load, now=now)
    return load


def do_record_bowie_dick(
    *,
    actor: Any,
    machine: Machine,
    passed: bool,
    note: str = "",
    tested_at: datetime.datetime | None = None,
) -> BowieDickTest:
    """Record the day's Bowie-Dick test; a failure opens a recall of the loads since the last
    pass (WS 310.3-2016 4.4.2.4)."""
    from lianxin.sterile.actions.recalls import do_open_recall

    require(actor, Perm.PROCESS_STERILE, machine.centre.institution_id)
    rule = MONITORING.get(machine.method)
    if machine.kind != MachineKind.STERILISER or rule is None or not rule.bowie_dick_daily:
        raise ValidationError(
            {"machine": [_("Only a pre-vacuum steam steriliser takes a B-D test.")]}
        )
    tested_at = tested_at or timezone.now()
    with transaction.atomic():
        test = BowieDickTest.objects.create(
            machine=machine, tested_at=tested_at, passed=passed, operator=actor, note=clean(note)
        )
        audit.record(
            "sterile.bowie_dick.record",
            actor=actor,
            target=test,
            institution=machine.centre.institution_id,
            after={"passed": passed},
        )
        if not passed:
            do_open_recall(
                actor=actor, reason=RecallReason.BOWIE_DICK_FAILED, test=test, now=tested_at
            )
    return test


def packs_of(load: SterilisationLoad) -> Any:
    return Pack.objects.filter(load=load)
