"""The advice ranks by minutes to treatment, says why, and follows the clock: a posting that
ends or a CT that breaks changes the answer (time-travel tests)."""

from __future__ import annotations

import datetime

import pytest

from lianxin.emergency.advice import AdviceError, Origin, advise
from lianxin.emergency.models import RoadNetwork
from lianxin.network.actions import do_change_equipment_status
from lianxin.testing.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


def _ask(world, condition, **kwargs):
    village = world.p.village_a
    origin = Origin(float(village.latitude), float(village.longitude), village.name, village)
    return advise(origin, condition, networks=RoadNetwork.objects.all(), **kwargs)


def test_a_chainsaw_injury_goes_to_the_township_where_a_surgeon_is_stationed(world):
    advice = _ask(world, "severe_trauma")
    first, second = advice.options[0], advice.options[1]
    assert first.site == world.p.township_a
    assert second.site == world.p.county_a
    assert first.minutes < second.minutes
    assert any("张伟" in r and "2026-06-30" in r for r in first.reasons)
    assert first.credited.practitioner_name == "张伟"
    # Damage control here, no blood bank: the plan is to transfer on after it.
    assert first.partial and advice.plans[0].kind == "complete"
    assert advice.plans[0].then.site == world.p.county_a
    assert advice.default.site == world.p.county_a
    assert advice.minutes_saved == pytest.approx(second.minutes - first.minutes, abs=0.1)
    assert not advice.estimate


def test_when_the_posting_ends_the_county_hospital_is_advised_and_the_end_is_said(
    world, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 7, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    advice = _ask(world, "severe_trauma")
    assert advice.advised.site == world.p.county_a
    assert advice.minutes_saved == 0
    assert [o.site for o in advice.options] == [world.p.county_a]
    assert any("张伟" in m and "2026-06-30" in m for m in advice.missing)


def test_a_question_about_a_past_moment_reads_who_was_there_then(world, time_machine):
    time_machine.move_to(datetime.datetime(2026, 8, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    then = datetime.datetime(2026, 6, 20, 9, 0, tzinfo=datetime.UTC)
    assert _ask(world, "severe_trauma", at=then).advised.site == world.p.township_a
    assert _ask(world, "severe_trauma").advised.site == world.p.county_a


def test_a_broken_ct_sends_a_stroke_to_the_county_and_says_since_when(world, time_machine):
    assert _ask(world, "stroke").advised.site == world.p.township_a
    time_machine.move_to(datetime.datetime(2026, 6, 15, 3, 30, tzinfo=datetime.UTC), tick=False)
    do_change_equipment_status(
        actor=world.superuser, equipment=world.township_ct, status="broken", note="球管故障"
    )
    time_machine.move_to(datetime.datetime(2026, 6, 15, 4, 0, tzinfo=datetime.UTC), tick=False)
    advice = _ask(world, "stroke")
    assert advice.advised.site == world.p.county_a
    assert any("CT" in m and "2026-06-15 11:30" in m for m in advice.missing)
    # Before it broke, the history still says the township could.
    before = datetime.datetime(2026, 6, 15, 3, 0, tzinfo=datetime.UTC)
    assert _ask(world, "stroke", at=before).advised.site == world.p.township_a


def test_stemi_far_from_any_pci_centre_gets_fibrinolysis_first(world):
    from lianxin.network.models import Capability
    from lianxin.workforce.models import Credential, Practitioner

    doctor = Practitioner.objects.get(name="王医生")
    Credential.objects.create(
        practitioner=doctor,
        capability=Capability.objects.get(code="thrombolysis_stemi"),
        granted_on=datetime.date(2020, 1, 1),
    )
    cardiologist = PractitionerFactory(name="郑心", institution=world.p.county_a)
    Credential.objects.create(
        practitioner=cardiologist,
        capability=Capability.objects.get(code="thrombolysis_stemi"),
        granted_on=datetime.date(2020, 1, 1),
    )
    advice = _ask(world, "stemi")
    assert advice.advised.site == world.p.township_a
    assert advice.advised.treatment.capability == "thrombolysis_stemi"
    assert any("120" in n for n in advice.notes)
    # Measured against what the county hospital would have given: its fibrinolysis.
    assert advice.default.site == world.p.county_a
    assert advice.default.treatment.capability == "thrombolysis_stemi"
    assert advice.minutes_saved > 10


def test_without_a_road_network_the_answer_is_an_estimate_and_says_so(world):
    village = world.p.village_a
    origin = Origin(float(village.latitude), float(village.longitude), village.name, village)
    advice = advise(origin, "severe_trauma", networks=RoadNetwork.objects.none())
    assert advice.estimate
    assert "Estimate" in advice.notes[0]
    assert advice.advised.site == world.p.township_a
    assert len(advice.route(advice.advised)) == 2


def test_an_unknown_condition_is_a_clear_error(world):
    with pytest.raises(AdviceError) as caught:
        _ask(world, "broken-heart")
    assert caught.value.code == "unknown_condition"
    assert "stemi" in str(caught.value)


def test_a_place_outside_the_network_is_a_clear_error(world):
    with pytest.raises(AdviceError) as caught:
        advise(Origin(39.9, 116.4), "stroke", networks=RoadNetwork.objects.all())
    assert caught.value.code == "outside_network"


def test_a_village_without_a_road_is_a_clear_error(world):
    lake = world.lake_village
    origin = Origin(float(lake.latitude), float(lake.longitude), lake.name, lake)
    with pytest.raises(AdviceError) as caught:
        advise(origin, "stroke", networks=RoadNetwork.objects.all())
    assert caught.value.code == "no_road"
    assert lake.name in str(caught.value)


def test_moving_a_site_rebuilds_the_table_in_the_background(
    world, django_capture_on_commit_callbacks
):
    version = RoadNetwork.objects.get().table_version
    township = world.p.township_a
    with django_capture_on_commit_callbacks(execute=True):
        # Into the reservoir: on the map, but far from any road now.
        township.latitude, township.longitude = (
            world.lake_village.latitude,
            world.lake_village.longitude,
        )
        township.save()
    network = RoadNetwork.objects.get()
    assert network.table_version == version + 1
    assert network.status == "ready" and network.progress == 1
    assert township.name in network.sites_off_network
    assert _ask(world, "severe_trauma").advised.site == world.p.county_a


def test_saving_a_site_unchanged_does_not_rebuild(world, django_capture_on_commit_callbacks):
    version = RoadNetwork.objects.get().table_version
    with django_capture_on_commit_callbacks(execute=True):
        world.p.county_a.save()
    assert RoadNetwork.objects.get().table_version == version
