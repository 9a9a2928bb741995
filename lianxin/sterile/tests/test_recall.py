"""Recalls: a positive BI recalls every load since the last passing BI, finds every pack and
patient, tells the branches and the surgeons, and closes when every pack is accounted for and
every branch has confirmed. A property test checks the patients found over random pack flows."""

from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianxin.core import audit
from lianxin.core.errors import ActionError, Conflict
from lianxin.sterile import actions
from lianxin.sterile.models import Pack, Recall, Whereabouts
from lianxin.sterile.queries import patients_touched, recall_loads
from lianxin.sterile.rules import PackStatus, Step
from lianxin.sterile.tests.conftest import at, bd_pass, new_pack, scan, sterilise, to_branch, use
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db


def _weekly_bi_then_more(cssd, personas):
    """Week 1: load A carries the weekly BI (negative). Week 2: load B carries the BI, load C
    follows. B's BI turns positive."""
    patient2 = PatientFactory(name="李四")
    register_at(patient2, personas.township_a)
    for code in ("XD-100001", "XD-100002", "XD-100003", "XD-100004"):
        new_pack(cssd, personas, code)
    a = sterilise(cssd, ["XD-100001"], at())
    actions.do_read_biological_indicator(
        actor=cssd.operator, load=a, positive=False, now=at(hours=4)
    )
    b = sterilise(cssd, ["XD-100002", "XD-100003"], at(days=7))
    c = sterilise(cssd, ["XD-100004"], at(days=8))
    to_branch(cssd, personas, "XD-100002", at(days=7, hours=2))
    use(cssd, "XD-100002", patient2, at(days=7, hours=5))
    to_branch(cssd, personas, "XD-100004", at(days=8, hours=2))
    # The pack of load A was used long before, and is not in the recall.
    to_branch(cssd, personas, "XD-100001", at(hours=2))
    use(cssd, "XD-100001", personas.patient, at(hours=3))
    return a, b, c, patient2


def test_a_positive_bi_recalls_every_load_since_the_last_pass_and_finds_the_patient(cssd, personas):
    _a, b, c, patient2 = _weekly_bi_then_more(cssd, personas)
    actions.do_read_biological_indicator(
        actor=cssd.operator, load=b, positive=True, now=at(days=8, hours=6)
    )
    recall = Recall.objects.get()
    assert set(recall.loads.all()) == {b, c}
    where = {i.pack.barcode: i.whereabouts for i in recall.items.select_related("pack")}
    assert where == {
        "XD-100002": Whereabouts.USED,
        "XD-100003": Whereabouts.IN_CENTRE,
        "XD-100004": Whereabouts.AT_BRANCH,
    }
    used = recall.items.get(pack__barcode="XD-100002").use
    assert (used.patient, used.procedure, used.surgeon) == (patient2, "清创缝合术", cssd.surgeon)
    assert Pack.objects.get(barcode="XD-100003").status == PackStatus.QUARANTINED
    # The branch hears of it, and so does the surgeon.
    assert cssd.nurse.notifications.filter(verb="sterile.recall", urgent=True).count() == 1
    assert personas.doctor.notifications.filter(verb="sterile.recall.patient").count() == 1
    assert recall.closed_at is None


def test_a_recalled_pack_at_a_branch_cannot_be_used_and_the_recall_closes_once_returned(
    cssd, personas
):
    _a, b, _c, _p = _weekly_bi_then_more(cssd, personas)
    actions.do_read_biological_indicator(
        actor=cssd.operator, load=b, positive=True, now=at(days=8, hours=6)
    )
    recall = Recall.objects.get()
    with pytest.raises(ActionError, match="recalled"):
        use(cssd, "XD-100004", personas.patient, at(days=8, hours=7))
    with pytest.raises(Conflict, match="XD-100004"):
        actions.do_confirm_branch_returns(
            actor=cssd.nurse, recall=recall, institution_id=personas.township_a.pk
        )
    scan(cssd.nurse, Step.RETURN, "XD-100004", at(days=8, hours=8))
    recall.refresh_from_db()
    assert recall.closed_at is None  # waiting for the branch's word
    actions.do_confirm_branch_returns(
        actor=cssd.nurse, recall=recall, institution_id=personas.township_a.pk, now=at(days=9)
    )
    recall.refresh_from_db()
    assert recall.closed_at == at(days=9)
    assert audit.verify() == []


def test_a_failed_bowie_dick_recalls_the_loads_since_the_last_passing_test(cssd, personas):
    new_pack(cssd, personas, "XD-200001")
    new_pack(cssd, personas, "XD-200002")
    bd_pass(cssd, at())
    sterilise(cssd, ["XD-200001"], at(hours=1), bd=False)
    load = sterilise(cssd, ["XD-200002"], at(hours=2), bd=False)
    test = actions.do_record_bowie_dick(
        actor=cssd.operator, machine=cssd.steriliser, passed=False, tested_at=at(hours=4)
    )
    recall = Recall.objects.get(trigger_test=test)
    # Both loads ran after the 08:00 pass: a later failure no longer vouches for them.
    assert load in recall.loads.all()
    assert recall.loads.count() == 2


def test_the_bi_scope_stops_at_the_last_negative_bi(cssd, personas):
    _a, b, c, _p = _weekly_bi_then_more(cssd, personas)
    scope = set(recall_loads("bi_positive", load=b, now=at(days=9)))
    assert scope == {b, c}


def test_after_a_positive_bi_the_steriliser_needs_three_passes_before_loads_go_out(cssd, personas):
    _a, b, _c, _p = _weekly_bi_then_more(cssd, personas)
    actions.do_read_biological_indicator(
        actor=cssd.operator, load=b, positive=True, now=at(days=8, hours=6)
    )
    new_pack(cssd, personas, "XD-100009")
    load = sterilise(cssd, ["XD-100009"], at(days=9), release=False)
    assert load.bi_reason == "probation"
    with pytest.raises(Conflict, match="three passing"):
        actions.do_release_load(actor=cssd.operator, load=load)


# --- The property: the recall finds exactly the patients touched by the failed load's packs ---

RUNS = itertools.count()
FLOW = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # pack
        st.integers(min_value=0, max_value=2),  # which patient, if used
        st.booleans(),  # used, or sent back unused (collected)
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(flow=FLOW, failing=st.integers(min_value=0, max_value=7))
def test_the_recall_finds_exactly_the_patients_touched_by_the_failed_loads_packs(
    cssd, personas, flow, failing
):
    # Hypothesis reuses the fixtures across examples: each example labels packs of its own.
    run = f"{next(RUNS):04d}"
    patients = [PatientFactory() for _ in range(3)]
    for p in patients:
        register_at(p, personas.township_a)
    codes = [f"PB{run}-{i}" for i in range(4)]
    for code in codes:
        new_pack(cssd, personas, code)
    truth: dict[int, set[int]] = {}  # load index → patients its packs were used on
    loads = []
    clock = at(days=60)
    for index, (pack_no, who, used) in enumerate(flow):
        code = codes[pack_no]
        load = sterilise(cssd, [code], clock)
        loads.append(load)
        truth[index] = set()
        to_branch(cssd, personas, code, clock + datetime.timedelta(hours=2))
        if used:
            use(cssd, code, patients[who], clock + datetime.timedelta(hours=3))
            truth[index].add(patients[who].pk)
        scan(cssd.operator, Step.COLLECT, code, clock + datetime.timedelta(hours=4))
        clock += datetime.timedelta(hours=6)
    failed = failing % len(loads)
    assert patients_touched([loads[failed].pk]) == truth[failed]
    # And over a set of loads (a recall since the last pass), the union.
    chosen = list(range(failed, len(loads)))
    assert patients_touched([loads[i].pk for i in chosen]) == set().union(
        *(truth[i] for i in chosen)
    )
