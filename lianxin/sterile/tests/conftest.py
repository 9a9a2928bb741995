"""Sterile-supply fixtures: the county hospital's 消毒供应中心 (county A) with two staff, a
pre-vacuum steriliser and a washer-disinfector; township A1 as the branch with a nurse and the
surgeon 王医生 (the personas' ``doctor``); a basic, an implant and a textile set."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from lianxin.core.models import User
from lianxin.network.models import Capability, CapabilityKind, Department, Equipment
from lianxin.sterile import actions
from lianxin.sterile.actions.scan import ScanInput
from lianxin.sterile.models import InstrumentSet, Machine, Pack, SterilisationLoad
from lianxin.sterile.rules import MachineKind, Method, Packaging, Step
from lianxin.testing.factories import DepartmentFactory, MembershipFactory, UserFactory
from lianxin.workforce.models import Practitioner


@dataclass
class Cssd:
    centre: Department
    operator: User
    checker: User
    nurse: User
    surgeon: Practitioner
    steriliser: Machine
    washer: Machine
    basic: InstrumentSet
    implant: InstrumentSet
    textile: InstrumentSet


def _machine(centre, kind, method, name) -> Machine:
    capability, _ = Capability.objects.get_or_create(
        code="sterile_supply", defaults={"name": "消毒供应中心", "kind": CapabilityKind.FACILITY}
    )
    equipment = Equipment.objects.create(
        institution=centre.institution, department=centre, capability=capability, name=name
    )
    return Machine.objects.create(
        centre=centre, equipment=equipment, kind=kind, method=method, name=name
    )


@pytest.fixture
def cssd(personas) -> Cssd:
    county = personas.county_a
    centre = DepartmentFactory(
        institution=county,
        name="医共体消毒供应中心",
        code="XDGY",
        kind="shared_centre",
        centre_type="sterile",
    )
    operator = UserFactory(username="cssd", display_name="林消毒")
    checker = UserFactory(username="cssd2", display_name="陈核对")
    for user in (operator, checker):
        MembershipFactory(user=user, institution=county, department=centre, role="sterile_staff")
    nurse = UserFactory(username="nurse", display_name="黄护士")
    MembershipFactory(user=nurse, institution=personas.township_a, role="nurse")
    surgeon = Practitioner.objects.get(user=personas.doctor)
    steriliser = _machine(
        centre, MachineKind.STERILISER, Method.PRE_VACUUM_STEAM, "1号脉动真空灭菌器"
    )
    washer = _machine(centre, MachineKind.WASHER, Method.THERMAL, "1号清洗消毒器")
    basic = actions.do_create_instrument_set(
        actor=operator,
        centre=centre,
        code="CS-01",
        name="清创缝合包",
        items=[("持针器", 1), ("组织镊", 2), ("线剪", 1)],
    )
    implant = actions.do_create_instrument_set(
        actor=operator,
        centre=centre,
        code="GK-IMP",
        name="骨科内固定植入包",
        items=[("接骨板", 1), ("螺钉", 8)],
        is_implant=True,
        packaging=Packaging.RIGID,
    )
    textile = actions.do_create_instrument_set(
        actor=operator,
        centre=centre,
        code="FL-01",
        name="妇科检查包",
        items=[("窥阴器", 1), ("卵圆钳", 1)],
        packaging=Packaging.TEXTILE,
    )
    return Cssd(
        centre, operator, checker, nurse, surgeon, steriliser, washer, basic, implant, textile
    )


def at(days: float = 0, hours: float = 0) -> datetime.datetime:
    """A fixed morning (08:00 Shanghai, a Monday) plus an offset, so days and weeks are stable."""
    base = timezone.make_aware(datetime.datetime(2026, 11, 2, 8, 0))
    return base + datetime.timedelta(days=days, hours=hours)


def new_pack(cssd: Cssd, personas, code: str, instrument_set=None, when=None) -> Pack:
    return actions.do_register_pack(
        actor=cssd.operator,
        instrument_set=instrument_set or cssd.basic,
        barcode=code,
        home=personas.township_a,
        now=when or at(),
    )


def scan(actor, step, code, when, **kwargs):
    return actions.do_scan_pack(
        actor=actor, data=ScanInput(step=step, barcode=code, **kwargs), now=when
    )


def bd_pass(cssd: Cssd, when) -> None:
    actions.do_record_bowie_dick(
        actor=cssd.operator, machine=cssd.steriliser, passed=True, tested_at=when
    )


def sterilise(cssd: Cssd, codes: list[str], when, *, release=True, bd=True) -> SterilisationLoad:
    """Wash, pack and sterilise collected packs in one load; release it and store them."""
    washer_load = actions.do_start_washer_load(
        actor=cssd.operator, machine=cssd.washer, program="WD90", a0=1200, started_at=when
    )
    for code in codes:
        scan(cssd.operator, Step.WASH, code, when, washer_load=washer_load)
        scan(cssd.operator, Step.PACK, code, when, checker=cssd.checker, contents_confirmed=True)
    if bd:
        bd_pass(cssd, when)
    load = actions.do_start_sterilisation_load(
        actor=cssd.operator, machine=cssd.steriliser, program="PV134", started_at=when
    )
    for code in codes:
        scan(cssd.operator, Step.STERILISE, code, when, load=load)
    load = actions.do_finish_load(
        actor=cssd.operator,
        load=load,
        temperature="134",
        minutes="4",
        pressure_kpa="205",
        chemical_class=5,
        chemical_ok=True,
        finished_at=when + datetime.timedelta(minutes=45),
    )
    if release:
        if load.bi_result == "pending" and not load.has_implant:
            pass  # a weekly BI does not hold a non-implant load
        actions.do_release_load(
            actor=cssd.operator, load=load, now=when + datetime.timedelta(hours=1)
        )
        for code in codes:
            scan(cssd.operator, Step.STORE, code, when + datetime.timedelta(hours=1))
    return load


def to_branch(cssd: Cssd, personas, code: str, when) -> None:
    scan(cssd.operator, Step.ISSUE, code, when, branch=personas.township_a)
    scan(cssd.nurse, Step.RECEIVE, code, when + datetime.timedelta(hours=1))


def use(cssd: Cssd, code: str, patient, when) -> None:
    scan(
        cssd.nurse,
        Step.USE,
        code,
        when,
        patient=patient,
        procedure="清创缝合术",
        surgeon=cssd.surgeon,
    )
