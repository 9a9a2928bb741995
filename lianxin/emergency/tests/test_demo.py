"""The demo county's emergency story: the far village is about an hour from the county
hospital and a quarter of an hour from the 书洋镇 centre, where a county surgeon is stationed;
the emergency login runs that case from the home page and sees the minutes saved."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.demo.accounts import DEMO_TOWNSHIP
from lianxin.demo.build import build_county
from lianxin.demo.context import DemoOptions
from lianxin.emergency.advice import Origin, advise
from lianxin.emergency.demo_steps import far_village
from lianxin.emergency.models import GreenChannelCase, RoadNetwork
from lianxin.testing.pages import home_card

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def county(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 1, 2, 0, tzinfo=datetime.UTC), tick=False)
    return build_county(DemoOptions(residents=300, villages=40, seed=627, today=TODAY))


def test_the_demo_county_keeps_the_pattern_and_the_desk_runs_the_case_from_home(county):
    network = RoadNetwork.objects.get()
    assert network.status == "ready" and not network.sites_off_network
    village = far_village(county, network)
    township = county.townships[DEMO_TOWNSHIP]
    advice = advise(
        Origin(float(village.latitude), float(village.longitude), village.name, village),
        "severe_trauma",
        networks=RoadNetwork.objects.all(),
    )
    assert advice.advised.site == township
    assert advice.advised.credited is not None
    assert advice.advised.travel_minutes <= 25
    assert advice.default.site == county.county_hospital
    assert advice.default.travel_minutes >= 45
    assert advice.minutes_saved >= 20

    user = county.accounts["emergency"][0]
    client = Client()
    client.force_login(user)
    card = home_card(client, "emergency")
    assert village.name in card
    link = card.split('href="', 2)[1].split('"', 1)[0].replace("&amp;", "&")
    page = client.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert township.name in body and advice.advised.credited.practitioner_name in body
    saved = client.get(reverse("emergency:savings")).content.decode()
    assert advice.advised.credited.practitioner_name in saved
    assert GreenChannelCase.objects.filter(minutes_saved__gt=0).exists()


def test_in_the_demo_county_the_far_village_goes_to_the_county_once_the_posting_ends(
    county, time_machine
):
    from lianxin.outreach.models import Posting

    village = far_village(county, RoadNetwork.objects.get())
    posting = Posting.objects.get(role_at_host="外科驻点主任")
    origin = Origin(float(village.latitude), float(village.longitude), village.name, village)
    time_machine.move_to(
        datetime.datetime.combine(
            posting.ends_on + datetime.timedelta(days=1), datetime.time(2, 0), datetime.UTC
        ),
        tick=False,
    )
    advice = advise(origin, "severe_trauma", networks=RoadNetwork.objects.all())
    assert advice.advised.site == county.county_hospital
    assert advice.minutes_saved == 0
    name = posting.practitioner.name
    assert any(name in m and posting.ends_on.isoformat() in m for m in advice.missing)
