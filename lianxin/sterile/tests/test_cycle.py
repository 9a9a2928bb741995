"""The cycle by scans: collection → cleaning → packing → sterilisation → store → issue → receipt
→ use → collection, with the monitoring that holds a load and the scans that are refused."""

from __future__ import annotations

import datetime

import pytest

from lianxin.core import audit
from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.sterile import actions
from lianxin.sterile.models import BiResult, LoadStatus, Pack, PackEvent
from lianxin.sterile.rules import Condition, PackStatus, Step
from lianxin.sterile.tests.conftest import at, bd_pass, new_pack, scan, sterilise, to_branch, use

pytestmark = pytest.mark.django_db


def test_a_pack_goes_round_the_whole_cycle_and_every_step_is_traced(cssd, personas):
    new_pack(cssd, personas, "XD-000001")
    load = sterilise(cssd, ["XD-000001"], at())
    pack = Pack.objects.get(barcode="XD-000001")
    assert pack.status == PackStatus.STORED
    assert pack.expires_at == load.finished_at + datetime.timedelta(days=180)  # non-woven
    to_branch(cssd, personas, "XD-000001", at(hours=3))
    use(cssd, "XD-000001", personas.patient, at(hours=5))
    scan(cssd.operator, Step.COLLECT, "XD-000001", at(hours=8), condition=Condition.COMPLETE)
    pack.refresh_from_db()
    assert (pack.status, pack.cycle, pack.location_id) == (
        PackStatus.COLLECTED,
        2,
        personas.county_a.pk,
    )
    steps = list(PackEvent.objects.filter(pack=pack, cycle=1).values_list("step", flat=True))
    assert steps == ["collect", "wash", "pack", "sterilise", "store", "issue", "receive", "use"]
    use_event = PackEvent.objects.get(pack=pack, step="use")
    assert (use_event.patient, use_event.surgeon, use_event.institution) == (
        personas.patient,
        cssd.surgeon,
        personas.township_a,
    )
    assert audit.verify() == []


def test_an_unknown_barcode_is_refused_with_its_code(cssd, personas):
    with pytest.raises(ActionError, match="XD-404404"):
        scan(cssd.operator, Step.WASH, "xd-404404", at())


def test_a_pack_in_the_wrong_state_is_refused_and_nothing_changes(cssd, personas):
    new_pack(cssd, personas, "XD-000002")
    events = PackEvent.objects.count()
    with pytest.raises(ActionError, match="not its next step"):
        scan(cssd.operator, Step.ISSUE, "XD-000002", at(), branch=personas.township_a)
    assert Pack.objects.get(barcode="XD-000002").status == PackStatus.COLLECTED
    assert PackEvent.objects.count() == events


def test_an_expired_pack_can_be_neither_issued_nor_used(cssd, personas):
    new_pack(cssd, personas, "XD-000003", instrument_set=cssd.textile)
    sterilise(cssd, ["XD-000003"], at())
    with pytest.raises(ActionError, match="expired"):
        scan(cssd.operator, Step.ISSUE, "XD-000003", at(days=15), branch=personas.township_a)
    to_branch(cssd, personas, "XD-000003", at(days=13))
    with pytest.raises(ActionError, match="expired"):
        use(cssd, "XD-000003", personas.patient, at(days=15))
    # It goes back as expired, and round again.
    scan(cssd.nurse, Step.RETURN, "XD-000003", at(days=15))
    scan(cssd.operator, Step.COLLECT, "XD-000003", at(days=15, hours=2))
    assert Pack.objects.get(barcode="XD-000003").cycle == 2


def test_a_branch_nurse_cannot_scan_centre_steps_nor_a_pack_at_another_branch(cssd, personas):
    new_pack(cssd, personas, "XD-000004")
    with pytest.raises(ActionError):
        scan(cssd.nurse, Step.WASH, "XD-000004", at())
    sterilise(cssd, ["XD-000004"], at())
    scan(cssd.operator, Step.ISSUE, "XD-000004", at(hours=2), branch=personas.village_a)
    with pytest.raises(ActionError):  # not visible to the township nurse: an unknown barcode
        scan(cssd.nurse, Step.RECEIVE, "XD-000004", at(hours=3))


def test_a_set_that_came_back_incomplete_names_what_is_missing(cssd, personas):
    new_pack(cssd, personas, "XD-000005")
    sterilise(cssd, ["XD-000005"], at())
    to_branch(cssd, personas, "XD-000005", at(hours=2))
    use(cssd, "XD-000005", personas.patient, at(hours=4))
    with pytest.raises(ActionError, match="missing or damaged"):
        scan(cssd.operator, Step.COLLECT, "XD-000005", at(hours=6), condition=Condition.MISSING)
    scan(
        cssd.operator,
        Step.COLLECT,
        "XD-000005",
        at(hours=6),
        condition=Condition.MISSING,
        note="缺线剪1把",
    )
    event = PackEvent.objects.get(pack__barcode="XD-000005", cycle=2, step="collect")
    assert (event.condition, event.note, event.institution) == (
        "missing",
        "缺线剪1把",
        personas.township_a,
    )


def test_packing_needs_a_second_person_and_the_contents_confirmed(cssd, personas):
    new_pack(cssd, personas, "XD-000006")
    washer = actions.do_start_washer_load(
        actor=cssd.operator, machine=cssd.washer, program="WD90", a0=900, started_at=at()
    )
    scan(cssd.operator, Step.WASH, "XD-000006", at(), washer_load=washer)
    with pytest.raises(ActionError, match="second person"):
        scan(cssd.operator, Step.PACK, "XD-000006", at(), checker=cssd.operator)
    with pytest.raises(ActionError, match="contents"):
        scan(cssd.operator, Step.PACK, "XD-000006", at(), checker=cssd.checker)


def test_a_washer_load_below_its_a0_refuses_the_packs_put_through_it(cssd, personas):
    new_pack(cssd, personas, "XD-000007")
    washer = actions.do_start_washer_load(
        actor=cssd.operator, machine=cssd.washer, program="WD90", a0=450, started_at=at()
    )
    assert not washer.passed and "A0 450" in washer.problems
    with pytest.raises(ActionError, match="clean the pack again"):
        scan(cssd.operator, Step.WASH, "XD-000007", at(), washer_load=washer)


def test_no_load_is_released_on_a_day_without_a_passing_bowie_dick_test(cssd, personas):
    new_pack(cssd, personas, "XD-000008")
    load = sterilise(cssd, ["XD-000008"], at(), release=False, bd=False)
    blockers = actions.release_blockers(load)
    assert any("Bowie-Dick" in b for b in blockers)
    with pytest.raises(Conflict, match="Bowie-Dick"):
        actions.do_release_load(actor=cssd.operator, load=load)
    with pytest.raises(ActionError, match="not released"):
        scan(cssd.operator, Step.STORE, "XD-000008", at(hours=2))
    # A pass recorded later that day, but after the load ran, does not count for it.
    bd_pass(cssd, at(hours=3))
    assert actions.release_blockers(load)


def test_parameters_out_of_range_fail_the_load(cssd, personas):
    new_pack(cssd, personas, "XD-000009")
    washer = actions.do_start_washer_load(
        actor=cssd.operator, machine=cssd.washer, program="WD90", a0=900, started_at=at()
    )
    scan(cssd.operator, Step.WASH, "XD-000009", at(), washer_load=washer)
    scan(cssd.operator, Step.PACK, "XD-000009", at(), checker=cssd.checker, contents_confirmed=True)
    bd_pass(cssd, at())
    load = actions.do_start_sterilisation_load(
        actor=cssd.operator, machine=cssd.steriliser, program="PV134", started_at=at()
    )
    scan(cssd.operator, Step.STERILISE, "XD-000009", at(), load=load)
    load = actions.do_finish_load(
        actor=cssd.operator,
        load=load,
        temperature="129.5",
        minutes="4",
        pressure_kpa="190",
        chemical_class=5,
        chemical_ok=True,
        finished_at=at(hours=1),
    )
    assert load.status == LoadStatus.FAILED and "129.5" in load.problems
    recall = load.triggered_recalls.get()
    assert recall.closed_at is not None  # the only pack never left the centre
    assert Pack.objects.get(barcode="XD-000009").status == PackStatus.QUARANTINED


def test_the_first_load_of_the_week_carries_a_bi_and_later_ones_do_not(cssd, personas):
    new_pack(cssd, personas, "XD-000010")
    new_pack(cssd, personas, "XD-000011")
    first = sterilise(cssd, ["XD-000010"], at())
    second = sterilise(cssd, ["XD-000011"], at(days=1))
    assert (first.bi_reason, first.bi_result) == ("weekly", BiResult.PENDING)
    assert (second.bi_reason, second.bi_result) == ("", "")
    # A non-implant load is released on its physical and chemical results; the BI follows.
    assert first.status == LoadStatus.DONE or first.released_at is not None


def test_an_implant_load_waits_for_its_bi_unless_released_in_an_emergency(cssd, personas):
    new_pack(cssd, personas, "XD-000012", instrument_set=cssd.implant)
    load = sterilise(cssd, ["XD-000012"], at(days=2), release=False)  # not the week's first
    assert (load.has_implant, load.bi_reason, load.bi_result) == (True, "implant", "pending")
    with pytest.raises(Conflict, match="negative biological indicator"):
        actions.do_release_load(actor=cssd.operator, load=load)
    released = actions.do_release_load(
        actor=cssd.operator,
        load=load,
        emergency_reason="急诊骨折内固定手术",
        now=at(days=2, hours=1),
    )
    assert released.is_emergency_release and released.followed_up_at is None
    scan(cssd.operator, Step.STORE, "XD-000012", at(days=2, hours=1))
    to_branch(cssd, personas, "XD-000012", at(days=2, hours=2))
    read = actions.do_read_biological_indicator(
        actor=cssd.operator, load=load, positive=False, now=at(days=3)
    )
    assert read.followed_up_at == at(days=3)
    assert personas.doctor.notifications.count() == 0
    assert cssd.nurse.notifications.filter(verb="sterile.emergency").count() == 1


def test_the_centre_staff_of_another_county_see_no_pack(cssd, personas):
    new_pack(cssd, personas, "XD-000013")
    assert not Pack.objects.visible_to(personas.outsider).exists()
    with pytest.raises(ActionError):
        scan(personas.outsider, Step.WASH, "XD-000013", at())
    with pytest.raises(NotAllowed):
        actions.do_register_pack(
            actor=personas.outsider,
            instrument_set=cssd.basic,
            barcode="XD-999999",
            home=personas.county_b,
        )
