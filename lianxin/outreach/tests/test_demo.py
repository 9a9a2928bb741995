"""The demo year of outreach: the volumes the alliance reports, and the actions' rules kept."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.demo.context import DemoOptions
from lianxin.network.models import Equipment, EquipmentStatusChange
from lianxin.outreach.actions.postings import stationing_min_end
from lianxin.outreach.models import (
    EducationSession,
    Posting,
    PostingActivity,
    TechniqueTransfer,
    TrainingPlacement,
)
from lianxin.outreach.queries import capabilities_many, figures, stationed_seniors
from lianxin.outreach.rules import PostingKind
from lianxin.testing.demo import module_county

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 1)


county = module_county(DemoOptions(residents=300, villages=22, seed=7, today=TODAY))


def test_the_demo_year_has_the_reported_volumes(county):
    first = TODAY - datetime.timedelta(days=364)
    in_year = Posting.objects.filter(starts_on__gte=first, starts_on__lte=TODAY)
    stationed_before = Posting.objects.filter(starts_on__lt=first).count()
    assert 290 <= in_year.count() + stationed_before <= 300
    assert TechniqueTransfer.objects.count() == 30
    assert TrainingPlacement.objects.count() == 200
    assert EducationSession.objects.count() >= 50
    assert Posting.objects.active_on(TODAY).filter(kind=PostingKind.STATIONING).exists()


def test_the_demo_keeps_the_rules_of_the_actions(county):
    postings = list(Posting.objects.order_by("practitioner_id", "starts_on"))
    for before, after in itertools.pairwise(postings):
        if before.practitioner_id == after.practitioner_id:
            assert after.starts_on > before.ends_on, "one place a day"
    placements = list(TrainingPlacement.objects.order_by("trainee_id", "starts_on"))
    for before, after in itertools.pairwise(placements):
        if before.trainee_id == after.trainee_id:
            assert after.starts_on > before.ends_on
    for posting in postings:
        assert posting.host_institution_id != posting.home_institution_id
        if posting.kind == PostingKind.STATIONING:
            assert posting.ends_on >= stationing_min_end(posting.starts_on)
    for activity in PostingActivity.objects.select_related("posting"):
        assert activity.posting.starts_on <= activity.on <= min(activity.posting.ends_on, TODAY)
    techniques = TechniqueTransfer.objects.exclude(independent_on=None)
    assert all(t.first_case_on <= t.independent_on <= TODAY for t in techniques)


def test_the_demo_figures_and_indicator_have_something_to_show(county):
    ids = [i.pk for i in [county.county_hospital, county.tertiary, *county.townships]]
    result = figures(2025, ids, resident_prefixes=[county.county_community.division_code])
    assert result.totals["person_times"] > 100 and result.totals["trainees"] > 0
    assert stationed_seniors(ids, 2025)
    assert result.indicator["per_10k"] is not None
    # Some township can do something today only because an expert is posted there.
    found = capabilities_many([t.pk for t in county.townships], TODAY)
    assert any(item.brought_by_posting for site in found.values() for item in site.procedures)


def test_the_demo_equipment_history_ends_in_each_current_status(county):
    latest: dict[int, EquipmentStatusChange] = {}
    first: dict[int, EquipmentStatusChange] = {}
    for change in EquipmentStatusChange.objects.order_by("changed_at", "pk"):
        first.setdefault(change.equipment_id, change)
        latest[change.equipment_id] = change
        assert timezone.localdate(change.changed_at) < TODAY
    pieces = list(Equipment.objects.all())
    assert {e.pk for e in pieces} == set(latest)
    for piece in pieces:
        assert latest[piece.pk].status == piece.status
        if piece.installed_on and piece.installed_on <= TODAY - datetime.timedelta(days=2):
            assert timezone.localdate(first[piece.pk].changed_at) == piece.installed_on
    # The township CT repaired last month: missing while it was broken, there today.
    (repaired,) = {c.equipment for c in EquipmentStatusChange.objects.filter(status="broken")} & {
        e for e in pieces if e.status == "in_use"
    }
    site = repaired.institution
    broken_day = TODAY - datetime.timedelta(days=39)
    assert "ct" not in capabilities_many([site.pk], broken_day)[site.pk].codes
    assert "ct" in capabilities_many([site.pk], TODAY)[site.pk].codes
    # On the demo day (a past day here) the history gives the facilities the status gives now.
    ids = [i.pk for i in [county.county_hospital, county.tertiary, *county.townships]]
    from_history, from_status = capabilities_many(ids, TODAY), capabilities_many(ids)
    for pk in ids:
        assert {c.capability.code for c in from_history[pk].facilities} == {
            c.capability.code for c in from_status[pk].facilities
        }


def test_the_demo_outreach_office_opens_its_dashboard(county, client):
    user, _, _ = county.accounts["outreach"]
    client.force_login(user)
    response = client.get(reverse("outreach:dashboard"), {"year": "2025"})
    assert response.status_code == 200
    assert response.context["figures"].totals["techniques"] > 0
