"""Every condition of the catalogue on the test county: stroke's thrombectomy stage, the
stabilise-then-transfer plans of obstetric haemorrhage and the critically ill child, and a
registered patient's residence as the place."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client

from lianxin.core.models import AuditEvent
from lianxin.emergency import rules
from lianxin.emergency.advice import Origin, advise
from lianxin.emergency.models import RoadNetwork
from lianxin.emergency.tests.conftest import _credential, _equipment
from lianxin.testing.factories import PatientFactory, PractitionerFactory, register_at
from lianxin.workforce.models import Practitioner

pytestmark = pytest.mark.django_db


def _ask(condition, lat, lon, village=None):
    origin = Origin(lat, lon, village.name if village else "", village)
    return advise(origin, condition, networks=RoadNetwork.objects.all())


def _from_the_far_village(world, condition):
    village = world.p.village_a
    return _ask(condition, float(village.latitude), float(village.longitude), village)


@pytest.fixture
def thrombectomy(world):
    _equipment(world.p.county_a, "pci_lab")
    _credential(Practitioner.objects.get(name="陈静"), "mechanical_thrombectomy")
    return world


def test_a_stroke_far_from_the_thrombectomy_centre_is_thrombolysed_near_then_shipped(
    thrombectomy, monkeypatch
):
    # In the test county the centre is less than 30 minutes further than the township, so the
    # policy's 30 minutes send the patient straight there; at 5 minutes the township lyses first.
    stroke = rules.CONDITIONS["stroke"]
    monkeypatch.setitem(rules.CONDITIONS, "stroke", dataclasses.replace(stroke, direct_if_within=5))
    world = thrombectomy
    advice = _from_the_far_village(world, "stroke")
    assert advice.advised.site == world.p.township_a
    plan = next(p for p in advice.plans if p.kind == "drip_and_ship")
    assert plan.first.site == world.p.township_a and plan.then.site == world.p.county_a
    assert plan.then_minutes > plan.first.minutes


def test_a_stroke_within_the_policys_delay_goes_straight_to_the_thrombectomy_centre(
    thrombectomy,
):
    world = thrombectomy
    advice = _from_the_far_village(world, "stroke")
    assert advice.advised.site == world.p.county_a
    # The township would thrombolyse sooner: the rule, not the distance, chose the centre.
    township = next(o for o in advice.options if o.site == world.p.township_a)
    assert township.minutes < advice.advised.minutes <= township.minutes + 30
    assert not [p for p in advice.plans if p.kind == "drip_and_ship"]
    assert any("thrombectomy" in n for n in advice.notes)


def test_a_critically_ill_child_is_resuscitated_at_the_township_then_taken_to_the_icu(world):
    _equipment(world.p.county_a, "icu")
    advice = _from_the_far_village(world, "paediatric")
    assert advice.advised.site == world.p.county_a
    plan = advice.plans[0]
    assert plan.kind == "stabilise"
    assert plan.first.site == world.p.township_a and plan.then.site == world.p.county_a
    assert plan.first.minutes < advice.advised.minutes


def test_an_obstetric_haemorrhage_gets_uterotonics_near_and_surgery_at_the_county(world):
    obstetrician = PractitionerFactory(name="林芳", institution=world.p.county_a)
    _credential(obstetrician, "caesarean_section")
    _equipment(world.p.township_a, "delivery_room")
    _credential(Practitioner.objects.get(name="王医生"), "vaginal_delivery")
    advice = _from_the_far_village(world, "obstetric_haemorrhage")
    assert advice.advised.site == world.p.county_a
    assert any("林芳" in r for r in advice.advised.reasons)
    plan = next(p for p in advice.plans if p.kind == "stabilise")
    assert plan.first.site == world.p.township_a and plan.then.site == world.p.county_a


def test_a_registered_patients_village_is_the_place_and_the_lookup_is_audited(world):
    patient = PatientFactory(name="林大山", division_code=world.p.village_a.division_code)
    register_at(patient, world.p.county_a)
    client = Client()
    client.force_login(world.desk)
    answer = client.get(
        "/api/emergency/advice/",
        {"patient": str(patient.external_id), "condition": "severe_trauma"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["origin"]["label"] == world.p.village_a.name
    assert body["advised"]["name"] == world.p.township_a.name
    assert AuditEvent.objects.filter(action="emergency.patient.locate").count() == 1
    stranger = PatientFactory(name="外人", division_code="350425100201")
    register_at(stranger, world.p.county_b)
    refused = client.get(
        "/api/emergency/advice/",
        {"patient": str(stranger.external_id), "condition": "severe_trauma"},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_patient"
