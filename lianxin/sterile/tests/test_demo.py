"""The demo year of the sterile supply centre: packs of every branch round the cycle, the rules the
scans enforce held by the generated history, and one BI failure with its recall."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F, Max, Min
from django.test import Client
from django.utils import timezone

from lianxin.demo.context import DemoOptions
from lianxin.sterile.models import (
    BiResult,
    BowieDickTest,
    LoadStatus,
    PackEvent,
    Recall,
    SterilisationLoad,
    Whereabouts,
)
from lianxin.sterile.queries import patients_touched
from lianxin.sterile.rules import PackStatus, RecallReason, Step
from lianxin.testing.demo import module_county

pytestmark = pytest.mark.django_db

county = module_county(DemoOptions(residents=300, villages=22, seed=7))


def test_the_demo_holds_a_year_of_packs_going_round_at_several_branches(county):
    span = PackEvent.objects.aggregate(first=Min("at"), last=Max("at"))
    assert span["last"] - span["first"] > datetime.timedelta(days=330)
    issued_to = set(
        PackEvent.objects.filter(step=Step.ISSUE).values_list("institution_id", flat=True)
    )
    assert len(issued_to) >= 4
    assert PackEvent.objects.filter(step=Step.USE, patient__isnull=False).count() > 100


def test_the_demo_history_keeps_the_rules_the_scans_enforce(county):
    # Packing is checked by a second person.
    packing = PackEvent.objects.filter(step=Step.PACK)
    assert packing.exists()
    assert not packing.filter(checker__isnull=True).exists()
    assert not packing.filter(checker=F("actor")).exists()
    # The demo township's nurse receives and uses its packs.
    nurse, _role, township = county.accounts["nurse"]
    at_township = PackEvent.objects.filter(institution=township, step__in=(Step.RECEIVE, Step.USE))
    assert at_township.exists()
    assert not at_township.exclude(actor=nurse).exists()
    # A passing Bowie-Dick test the morning of every load's day, before the load.
    for load in SterilisationLoad.objects.order_by("?")[:50]:
        assert BowieDickTest.objects.filter(
            machine=load.machine,
            passed=True,
            tested_at__date=timezone.localdate(load.started_at),
            tested_at__lte=load.started_at,
        ).exists()
    # Implant loads are released on their negative BI, and their packs stored after it.
    implant_loads = SterilisationLoad.objects.filter(has_implant=True)
    assert implant_loads.exists()
    for load in implant_loads:
        stored = load.events.filter(step=Step.STORE).aggregate(first=Min("at"))["first"]
        if load.bi_result == BiResult.PENDING:  # the last day's: incubating, not released
            assert load.status == LoadStatus.DONE and load.released_at is None and stored is None
            continue
        assert load.bi_result == BiResult.NEGATIVE and load.released_at >= load.bi_read_at
        assert stored is None or stored >= load.bi_read_at
    # No BI was read, no load released, no pack stored in the future.
    now = timezone.now()
    assert not SterilisationLoad.objects.filter(bi_read_at__gt=now).exists()
    assert not SterilisationLoad.objects.filter(released_at__gt=now).exists()
    assert not PackEvent.objects.filter(at__gt=now).exists()


def test_one_bi_failure_and_its_recall_finds_the_patients(county):
    failed = SterilisationLoad.objects.get(bi_result=BiResult.POSITIVE)
    recall = Recall.objects.get()
    assert recall.reason == RecallReason.BI_POSITIVE and recall.trigger_load == failed
    loads = list(recall.loads.values_list("pk", flat=True))
    assert failed.pk in loads and len(loads) > 1
    found = {i.use.patient_id for i in recall.items.select_related("use") if i.use is not None}
    assert found and found == patients_touched(loads)
    for item in recall.items.filter(use__isnull=False).select_related("use"):
        assert item.use.procedure and item.use.surgeon_id
    # Still open: what it holds stays where it was found until it is returned or reprocessed.
    assert recall.closed_at is None
    waiting = recall.items.filter(accounted_at__isnull=True).select_related("pack")
    assert waiting.exists()
    for item in waiting:
        assert item.pack.recalled and item.pack.cycle == item.cycle
        assert item.pack.status in (PackStatus.ISSUED, PackStatus.RECEIVED)
    held = recall.items.filter(whereabouts=Whereabouts.IN_CENTRE).select_related("pack")
    assert all(i.pack.status == PackStatus.QUARANTINED for i in held)
    assert not PackEvent.objects.filter(
        pack__in=[
            i.pack_id
            for i in recall.items.exclude(
                whereabouts__in=(Whereabouts.USED, Whereabouts.REPROCESSED)
            )
        ],
        at__gt=recall.opened_at,
    ).exists()


def test_after_the_failure_the_steriliser_takes_no_pack_until_three_bis_pass(county):
    failed = SterilisationLoad.objects.get(bi_result=BiResult.POSITIVE)
    after = SterilisationLoad.objects.filter(
        machine=failed.machine, started_at__gt=failed.bi_read_at
    ).order_by("started_at")
    first_three = list(after[:3])
    assert [x.bi_result for x in first_three] == [BiResult.NEGATIVE] * 3
    assert not any(x.events.exists() for x in first_three)
    assert all(x.released_at >= x.bi_read_at for x in first_three)
    assert not after.filter(
        started_at__lt=first_three[-1].bi_read_at, events__isnull=False
    ).exists()


def test_the_centre_account_finds_a_second_person_to_check_its_packing(county):
    client = Client()
    client.force_login(county.accounts["cssd"][0])
    page = client.get("/sterile/scan/pack/").content.decode()
    checker = county.accounts["cssd2"][0]
    assert f'value="{checker.external_id}"' in page and checker.display_name in page
