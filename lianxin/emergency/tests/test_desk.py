"""The emergency desk's pages and the dispatch API: ask, open a case, time it, attach the
patient, refer on; bad input answers 4xx with a message; outsiders see nothing."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from lianxin.core.models import AuditEvent
from lianxin.emergency.models import GreenChannelCase
from lianxin.emergency.tests.conftest import FROZEN
from lianxin.testing.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world):
    from django.test import Client

    client = Client()
    client.force_login(world.desk)
    return client


def test_the_desk_finds_a_village_by_its_pinyin_initials(world, desk):
    # 城关镇东门村 → CGZDMC; the desk types the village part.
    found = desk.get(reverse("emergency:villages"), {"q": "dmc"}).json()["villages"]
    assert [v["name"] for v in found] == ["城关镇东门村卫生室"]
    assert desk.get(reverse("emergency:villages"), {"q": "东门"}).json()["villages"]


def test_the_desk_page_gives_the_advice_with_the_route_on_the_map(world, desk):
    response = desk.get(
        reverse("emergency:desk"),
        {"village": str(world.p.village_a.external_id), "condition": "severe_trauma"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "城关镇卫生院" in page and "张伟" in page and "2026-06-30" in page
    assert 'class="route"' in page
    svg = desk.get(reverse("emergency:map"))
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.count(b"<path") >= 2 and b"<title>" in svg.content
    assert "<script>" not in page  # the page's script is a static file


def test_bad_questions_get_a_clear_400(world, desk):
    url = reverse("emergency:desk")
    village = str(world.p.village_a.external_id)
    assert desk.get(url, {"village": village, "condition": "nope"}).status_code == 400
    outside = desk.get(url, {"lat": "39.9", "lon": "116.4", "condition": "stroke"})
    assert outside.status_code == 400 and "outside the road network" in outside.content.decode()
    lake = desk.get(url, {"village": str(world.lake_village.external_id), "condition": "stroke"})
    assert lake.status_code == 400 and "no road within" in lake.content.decode()
    assert desk.get(url, {"lat": "abc", "lon": "1", "condition": "stroke"}).status_code == 400


def test_the_dispatch_api_answers_in_json_and_refuses_bad_input_with_codes(world, desk):
    url = "/api/emergency/advice/"
    answer = desk.get(url, {"lat": "26.14", "lon": "118.03", "condition": "severe_trauma"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["advised"]["name"] == "城关镇卫生院"
    assert body["advised"]["stationed_expert"]["name"] == "张伟"
    assert body["default_destination"]["name"] == "尤溪县总医院"
    assert body["minutes_saved"] > 10 and body["estimate"] is False
    assert len(body["advised"]["route"]) > 3
    for params, code in (
        ({"lat": "39.9", "lon": "116.4", "condition": "stroke"}, "outside_network"),
        ({"lat": "26.14", "lon": "118.03", "condition": "flu"}, "unknown_condition"),
        ({"village": str(world.lake_village.external_id), "condition": "stroke"}, "no_road"),
        ({"condition": "stroke"}, "no_place"),
        ({"lat": "26.14", "lon": "999", "condition": "stroke"}, "bad_coordinates"),
    ):
        refused = desk.get(url, params)
        assert refused.status_code == 400, params
        assert refused.json()["code"] == code


def test_someone_without_the_desk_role_cannot_ask(world):
    client = world.p.client("doctor")
    assert client.get(reverse("emergency:desk")).status_code == 403
    api = client.get(
        "/api/emergency/advice/", {"lat": "26.14", "lon": "118.03", "condition": "stroke"}
    )
    assert api.status_code == 403


def test_an_unknown_patient_case_is_opened_timed_identified_and_referred_on(
    world, desk, time_machine
):
    opened = desk.post(
        reverse("emergency:case-open"),
        {
            "village": str(world.p.village_a.external_id),
            "condition": "severe_trauma",
            "patient_description": "无名氏，男，约40岁",
        },
    )
    case = GreenChannelCase.objects.get()
    assert opened.url == reverse("emergency:case", kwargs={"id": case.external_id})
    assert case.patient is None and case.chosen == world.p.township_a
    assert case.credited_practitioner == world.stationed_surgeon
    assert case.minutes_saved and case.minutes_saved > 10
    assert AuditEvent.objects.filter(action="emergency.case.open").exists()

    time_machine.move_to(FROZEN + datetime.timedelta(hours=2), tick=False)
    url = reverse("emergency:case-time", kwargs={"id": case.external_id})
    future = desk.post(url, {"field": "departure_at", "at": "2026-06-15T13:00"}, follow=True)
    assert "in the future" in future.content.decode()
    desk.post(url, {"field": "departure_at", "at": "2026-06-15T10:05"})
    desk.post(url, {"field": "arrival_at", "at": "2026-06-15T10:45"})
    early = desk.post(url, {"field": "treatment_at", "at": "2026-06-15T10:30"}, follow=True)
    assert "earlier than" in early.content.decode()
    desk.post(url, {"field": "treatment_at", "at": "2026-06-15T11:00"})
    case.refresh_from_db()
    assert case.actual_minutes == 60
    assert case.arrival_at.hour == 2  # 10:45 in Shanghai is 02:45 UTC

    # Identified at the township: its doctor registers him and attaches him to the case.
    patient = PatientFactory(name="林大山", division_code="350426100201")
    from lianxin.testing.factories import register_at

    register_at(patient, world.p.township_a)
    doctor = world.p.client("doctor")
    doctor.post(
        reverse("emergency:case-patient", kwargs={"id": case.external_id}),
        {"patient": str(patient.external_id)},
    )
    case.refresh_from_db()
    assert case.patient == patient

    referred = doctor.post(
        reverse("emergency:case-referral", kwargs={"id": case.external_id}),
        {
            "performer": str(world.p.county_a.external_id),
            "reason": "损伤控制术后转上级输血及CT",
            "diagnosis_text": "颈部开放性损伤",
        },
        follow=True,
    )
    case.refresh_from_db()
    assert case.referral is not None, referred.content.decode()[:500]
    assert case.referral.urgency == "emergency"
    assert case.referral.performer_institution == world.p.county_a
    assert case.referral.milestones.exists()


def test_a_choice_other_than_the_advice_needs_a_reason(world, desk):
    data = {
        "village": str(world.p.village_a.external_id),
        "condition": "severe_trauma",
        "chosen": str(world.p.county_a.external_id),
    }
    refused = desk.post(reverse("emergency:case-open"), data, follow=True)
    assert "Say why" in refused.content.decode()
    assert not GreenChannelCase.objects.exists()
    desk.post(reverse("emergency:case-open"), {**data, "choice_reason": "家属要求"})
    case = GreenChannelCase.objects.get()
    assert case.chosen == world.p.county_a and case.minutes_saved == 0


def test_an_outsider_cannot_open_a_case_page(world, desk):
    desk.post(
        reverse("emergency:case-open"),
        {"village": str(world.p.village_a.external_id), "condition": "severe_trauma"},
    )
    case = GreenChannelCase.objects.get()
    outsider = world.p.client("outsider")
    assert (
        outsider.get(reverse("emergency:case", kwargs={"id": case.external_id})).status_code == 404
    )
    assert outsider.get(f"/api/emergency/cases/{case.external_id}/").status_code == 404


def test_the_savings_page_counts_minutes_by_month_treatment_and_expert(world, desk):
    for _ in range(2):
        desk.post(
            reverse("emergency:case-open"),
            {"village": str(world.p.village_a.external_id), "condition": "severe_trauma"},
        )
    page = desk.get(reverse("emergency:savings")).content.decode()
    assert "2026-06" in page and "张伟" in page and "严重创伤手术" in page
    commission = world.p.client("commission")
    figures = commission.get(reverse("emergency:savings"))
    assert figures.status_code == 200 and "张伟" in figures.content.decode()
    assert commission.get("/api/emergency/cases/").json()["count"] == 0


def test_the_case_list_reads_in_a_fixed_number_of_queries(
    world, desk, django_assert_max_num_queries
):
    for _ in range(3):
        desk.post(
            reverse("emergency:case-open"),
            {"village": str(world.p.village_a.external_id), "condition": "severe_trauma"},
        )
    with django_assert_max_num_queries(12):
        assert desk.get(reverse("emergency:cases")).status_code == 200
    with django_assert_max_num_queries(12):
        assert desk.get("/api/emergency/cases/").json()["count"] == 3


def test_the_planner_ranks_branches_by_the_minutes_a_stationing_would_cut(world, desk):
    page = desk.get(reverse("emergency:planner"), {"capability": "thrombolysis_stroke"})
    assert page.status_code == 200
    # Both sites can already thrombolyse; for trauma surgery the township would need the posting.
    from lianxin.emergency.queries import plan_stationing

    world.posting.ends_on = datetime.date(2026, 6, 1)
    world.posting.save()
    result = plan_stationing(world.network, "trauma_surgery")
    assert [c.site for c in result.candidates] == [world.p.township_a]
    assert result.candidates[0].cut > 0
    assert result.candidates[0].villages_helped >= 1


def test_the_network_page_shows_the_table_and_the_speeds_with_their_source(world, desk):
    page = desk.get(reverse("emergency:network")).content.decode()
    assert "JTG B01" in page and "county.osm" in page


def test_a_dispatch_system_opens_and_times_a_case_through_the_api_with_the_desks_rules(
    world, desk, time_machine
):
    body = {"lat": 26.14, "lon": 118.03, "condition": "severe_trauma"}
    created = desk.post("/api/emergency/cases/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["chosen"] == "城关镇卫生院" and case["credited_practitioner"] == "张伟"
    refused = desk.post(
        "/api/emergency/cases/",
        {**body, "chosen": str(world.p.county_a.external_id)},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "choice_reason" in refused.json()
    time_machine.move_to(FROZEN + datetime.timedelta(hours=1), tick=False)
    timed = desk.post(
        f"/api/emergency/cases/{case['id']}/time/",
        {"field": "arrival_at", "at": "2026-06-15T10:40"},
        content_type="application/json",
    )
    assert timed.status_code == 200 and timed.json()["arrival_at"].startswith("2026-06-15T10:40")
    outsider = world.p.client("outsider")
    assert outsider.post(
        f"/api/emergency/cases/{case['id']}/time/",
        {"field": "arrival_at"},
        content_type="application/json",
    ).status_code in (403, 404)


def _open_trauma_case(desk, world) -> None:
    desk.post(
        reverse("emergency:case-open"),
        {"village": str(world.p.village_a.external_id), "condition": "severe_trauma"},
    )


def test_the_commission_reaches_the_figures_from_its_menu_and_sees_no_desk_tabs(world, desk):
    _open_trauma_case(desk, world)
    commission = world.p.client("commission")
    savings = reverse("emergency:savings")
    assert f'href="{savings}"' in commission.get(reverse("home")).content.decode()
    page = commission.get(savings).content.decode()
    assert "张伟" in page
    for hidden in ("emergency:desk", "emergency:cases"):
        assert f'href="{reverse(hidden)}"' not in page, hidden
    # The desk has its own menu entry and every tab.
    own = desk.get(savings).content.decode()
    assert f'href="{reverse("emergency:desk")}"' in own
    assert f'href="{reverse("emergency:cases")}"' in own


def test_an_outreach_office_sees_what_its_postings_saved_and_no_other_communitys(world, desk):
    from django.test import Client

    from lianxin.testing.factories import MembershipFactory, UserFactory

    _open_trauma_case(desk, world)
    saved = GreenChannelCase.objects.get().minutes_saved
    assert saved > 10

    def officer(name, institution):
        user = UserFactory(username=name)
        MembershipFactory(user=user, institution=institution, role="outreach_officer")
        client = Client()
        client.force_login(user)
        return client

    ours = officer("office_a", world.p.county_a)
    assert "张伟" in ours.get(reverse("emergency:savings")).content.decode()
    posting = ours.get(reverse("outreach:posting", kwargs={"id": world.posting.external_id}))
    line = posting.content.decode().split('id="posting-emergency-savings"', 1)[1].split("</dd>")[0]
    assert "1" in line and str(round(saved)) in line
    # The township's clinicians read the line, without a link to figures they may not open.
    doctor = world.p.client("doctor")
    page = doctor.get(reverse("outreach:posting", kwargs={"id": world.posting.external_id}))
    body = page.content.decode()
    assert 'id="posting-emergency-savings"' in body
    assert f'href="{reverse("emergency:savings")}"' not in body
    assert doctor.get(reverse("emergency:savings")).status_code == 403
    theirs = officer("office_b", world.p.county_b)
    assert "张伟" not in theirs.get(reverse("emergency:savings")).content.decode()
