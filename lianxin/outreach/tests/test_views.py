"""The outreach pages as each persona: figures for the office and the commission, the roster and
"what can this site do now" for clinicians, postings through the form, the Excel export."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.core.models import AuditEvent
from lianxin.network.models import Capability, Equipment
from lianxin.outreach.actions import do_create_posting
from lianxin.outreach.models import Posting
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import PractitionerFactory
from lianxin.workforce.models import Credential, Title

pytestmark = pytest.mark.django_db

PAGES = [
    "outreach:dashboard",
    "outreach:postings",
    "outreach:roster",
    "outreach:sites-with",
    "outreach:building",
]


@pytest.fixture
def posting(personas, officer, expert, today):
    Equipment.objects.create(
        institution=personas.township_a, capability=Capability.objects.get(code="ct"), name="CT"
    )
    Credential.objects.create(
        practitioner=expert,
        capability=Capability.objects.get(code="thrombolysis_stroke"),
        granted_on=datetime.date(2020, 1, 1),
    )
    return do_create_posting(
        actor=officer,
        practitioner=expert,
        host_institution=personas.township_a,
        kind="stationing",
        starts_on=today - days(10),
        ends_on=today + days(200),
        role_at_host="业务副院长",
    )


def client_for(personas, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("who", ["doctor", "specialist", "outsider", "admin", "commission"])
@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_for_every_persona(personas, posting, who, name):
    assert personas.client(who).get(reverse(name)).status_code == 200


def test_the_commission_sees_figures_and_the_indicator_but_no_form(personas, posting):
    response = personas.client("commission").get(reverse("outreach:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    # The member chart is drawn by the vendored ECharts from the description in the page.
    assert 'data-chart="member-chart"' in body and "vendor/echarts/echarts.min.js" in body
    chart = response.context["member_chart"]
    assert chart["categories"] == [
        posting.host_institution.short_name or posting.host_institution.name
    ]
    assert chart["series"][0]["data"] == [1.0]
    assert response.context["figures"].totals["person_times"] == 1
    assert response.context["figures"].indicator["postings"] == 1
    assert reverse("outreach:posting-create") not in body


def test_a_clinician_sees_what_their_site_can_do_now_and_who_brings_it(personas, posting):
    response = personas.client("doctor").get(reverse("outreach:dashboard"))
    assert "figures" not in response.context
    body = response.content.decode()
    assert posting.practitioner.name in body
    assert "急性缺血性卒中静脉溶栓" in body


def test_the_site_page_shows_todays_capabilities_and_the_posted_expert(personas, posting):
    url = reverse("outreach:site", kwargs={"id": personas.township_a.external_id})
    body = personas.client("doctor").get(url).content.decode()
    assert "急性缺血性卒中静脉溶栓" in body and "业务副院长" in body
    assert personas.client("outsider").get(url).status_code == 404


def test_sites_with_lists_the_host_of_the_posted_expert(personas, posting):
    response = personas.client("doctor").get(
        reverse("outreach:sites-with"), {"capability": "thrombolysis_stroke"}
    )
    assert [site for site, _ in response.context["rows"]] == [personas.township_a]
    outsider = personas.client("outsider").get(
        reverse("outreach:sites-with"), {"capability": "thrombolysis_stroke"}
    )
    assert outsider.context["rows"] == []


def test_the_office_posts_through_the_form_and_sees_the_overlap_error(
    personas, officer, expert, today
):
    client = client_for(personas, officer)
    url = reverse("outreach:posting-create")
    form = {
        "practitioner": expert.pk,
        "host_institution": personas.township_a.pk,
        "kind": "itinerant",
        "starts_on": today.isoformat(),
        "ends_on": (today + days(2)).isoformat(),
    }
    response = client.post(url, form)
    posting = Posting.objects.get()
    assert response.status_code == 302 and str(posting.external_id) in response["Location"]
    again = client.post(url, {**form, "host_institution": personas.village_a.pk})
    assert again.status_code == 200
    assert str(posting.external_id) in again.content.decode()
    assert Posting.objects.count() == 1


def test_a_stationing_under_six_months_is_refused_on_the_form(personas, officer, expert, today):
    client = client_for(personas, officer)
    response = client.post(
        reverse("outreach:posting-create"),
        {
            "practitioner": expert.pk,
            "host_institution": personas.township_a.pk,
            "kind": "stationing",
            "starts_on": today.isoformat(),
            "ends_on": (today + days(60)).isoformat(),
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["ends_on"]
    assert not Posting.objects.exists()


def test_a_clinician_cannot_open_the_posting_form(personas):
    assert personas.client("doctor").get(reverse("outreach:posting-create")).status_code == 403


def test_the_posted_doctor_records_activity_on_the_posting_page(personas, posting, today):
    url = reverse("outreach:posting", kwargs={"id": posting.external_id})
    client = personas.client("specialist")
    response = client.post(
        url, {"on": today.isoformat(), "kind": "clinic", "sessions": 1, "patients": 30}
    )
    assert response.status_code == 302
    assert posting.activities.get().patients == 30
    outside = client.post(
        url,
        {"on": (today - days(11)).isoformat(), "kind": "clinic", "sessions": 1, "patients": 0},
    )
    assert outside.status_code == 200 and outside.context["activity_form"].errors["on"]
    assert personas.client("doctor").post(url, {"on": today.isoformat()}).status_code == 403
    assert personas.client("outsider").get(url).status_code == 404


def test_the_office_cancels_a_posting_with_a_reason(personas, officer, posting):
    url = reverse("outreach:posting-cancel", kwargs={"id": posting.external_id})
    client_for(personas, officer).post(url, {"reason": "改派他人"})
    posting.refresh_from_db()
    assert posting.is_cancelled
    assert AuditEvent.objects.filter(action="outreach.posting.cancel").exists()
    assert personas.client("outsider").post(url, {"reason": "x"}).status_code == 404


def test_the_roster_shows_the_month_for_the_host_and_the_lead(personas, posting, today):
    host = personas.client("doctor").get(reverse("outreach:roster"))
    assert [row["practitioner"] for row in host.context["rows"]] == [posting.practitioner]
    lead = personas.client("doctor").get(
        reverse("outreach:roster"),
        {"institution": personas.county_a.external_id, "side": "home", "month": "garbage"},
    )
    assert lead.status_code == 200 and len(lead.context["rows"]) == 1
    foreign = personas.client("outsider").get(
        reverse("outreach:roster"), {"institution": personas.county_a.external_id}
    )
    assert foreign.status_code == 404


def test_the_posting_list_takes_a_fixed_number_of_queries(
    personas, officer, today, django_assert_max_num_queries
):
    for n in range(15):
        do_create_posting(
            actor=officer,
            practitioner=PractitionerFactory(institution=personas.county_a, title=Title.CHIEF),
            host_institution=personas.township_a,
            kind="itinerant",
            starts_on=today + days(n),
            ends_on=today + days(n),
        )
    client = client_for(personas, officer)
    client.get(reverse("outreach:postings"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("outreach:postings"))
    assert len(response.context["page"].object_list) == 15


def test_the_export_is_a_workbook_with_totals_members_and_months(personas, posting):
    response = personas.client("commission").get(reverse("outreach:export"), {"year": "2026"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 3
    members = list(book.worksheets[1].iter_rows(values_only=True))
    assert any(row[0] == personas.township_a.name for row in members[1:])
    assert personas.client("doctor").get(reverse("outreach:export")).status_code == 403


def test_a_bad_year_falls_back_with_a_message(personas, posting):
    response = personas.client("commission").get(reverse("outreach:dashboard"), {"year": "abc"})
    assert response.status_code == 200
    assert response.context["year"] == datetime.date.today().year


def test_the_outreach_office_has_a_home_card(personas, officer, posting):
    body = client_for(personas, officer).get(reverse("home")).content.decode()
    assert 'id="card-outreach"' in body
    assert (
        'id="card-outreach"' not in personas.client("doctor").get(reverse("home")).content.decode()
    )


def test_the_office_introduces_a_technique_and_records_its_first_case_on_the_page(
    personas, officer, expert, today
):
    client = client_for(personas, officer)
    url = reverse("outreach:building")
    response = client.post(
        url,
        {
            "form": "technique",
            "technique-name": "无痛胃镜",
            "technique-host_institution": personas.township_a.pk,
            "technique-mentor": expert.pk,
            "technique-introduced_on": (today - days(10)).isoformat(),
        },
    )
    assert response.status_code == 302
    from lianxin.outreach.models import TechniqueTransfer

    technique = TechniqueTransfer.objects.get()
    response = client.post(
        url,
        {
            "form": "case",
            "case-technique": technique.pk,
            "case-performed_on": (today - days(5)).isoformat(),
            "case-with_mentor": "on",
        },
    )
    assert response.status_code == 302
    technique.refresh_from_db()
    assert technique.first_case_on == today - days(5)
    solo = client.post(
        url,
        {"form": "case", "case-technique": technique.pk, "case-performed_on": today.isoformat()},
    )
    assert solo.status_code == 200 and solo.context["forms"]["case"].errors["operator"]


def test_the_office_places_and_assesses_a_trainee_on_the_page(personas, officer, today):
    trainee = PractitionerFactory(institution=personas.township_a)
    client = client_for(personas, officer)
    url = reverse("outreach:building")
    reversed_dates = client.post(
        url,
        {
            "form": "placement",
            "placement-trainee": trainee.pk,
            "placement-host_institution": personas.county_a.pk,
            "placement-starts_on": today.isoformat(),
            "placement-ends_on": (today - days(1)).isoformat(),
        },
    )
    assert reversed_dates.status_code == 200
    assert reversed_dates.context["forms"]["placement"].errors["ends_on"]
    client.post(
        url,
        {
            "form": "placement",
            "placement-trainee": trainee.pk,
            "placement-host_institution": personas.county_a.pk,
            "placement-starts_on": (today - days(30)).isoformat(),
            "placement-ends_on": today.isoformat(),
        },
    )
    placement = trainee.placements.get()
    client.post(
        url,
        {
            "form": "assess",
            "assess-placement": placement.pk,
            "assess-result": "excellent",
            "assess-assessed_on": today.isoformat(),
        },
    )
    placement.refresh_from_db()
    assert placement.result == "excellent"


def test_a_clinician_sees_capability_building_but_cannot_post_to_it(personas):
    client = personas.client("doctor")
    response = client.get(reverse("outreach:building"))
    assert response.status_code == 200 and response.context["forms"] is None
    assert client.post(reverse("outreach:building"), {"form": "technique"}).status_code == 403
