"""The outreach API as each persona: postings and activity through the actions, what a site can
do and the sites that can do one thing, figures for those who read aggregates."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from lianxin.network.models import Capability, Equipment
from lianxin.outreach.actions import do_create_posting
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import PractitionerFactory
from lianxin.workforce.models import Credential, Title

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


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
        kind="short_term",
        starts_on=today - days(3),
        ends_on=today + days(3),
    )


def test_the_outreach_office_creates_a_posting_through_the_api(personas, officer, expert, today):
    response = api(officer).post(
        "/api/postings/",
        {
            "practitioner": str(expert.external_id),
            "host_institution": str(personas.township_a.external_id),
            "kind": "itinerant",
            "starts_on": today.isoformat(),
            "ends_on": (today + days(1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["host_institution_name"] == personas.township_a.name


def test_an_overlap_through_the_api_is_a_400_naming_the_clash(personas, officer, posting, today):
    response = api(officer).post(
        "/api/postings/",
        {
            "practitioner": str(posting.practitioner.external_id),
            "host_institution": str(personas.village_a.external_id),
            "kind": "short_term",
            "starts_on": today.isoformat(),
            "ends_on": (today + days(10)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert str(posting.external_id) in " ".join(response.json()["starts_on"])


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "stationing"},
        {"ends_on": "2020-01-01"},
        {"starts_on": "not a date"},
        {"host_institution": "00000000-0000-0000-0000-000000000000"},
        {"kind": "management"},
    ],
)
def test_bad_postings_are_400s(personas, officer, expert, today, change):
    body = {
        "practitioner": str(expert.external_id),
        "host_institution": str(personas.township_a.external_id),
        "kind": "short_term",
        "starts_on": today.isoformat(),
        "ends_on": (today + days(10)).isoformat(),
        **change,
    }
    response = api(officer).post("/api/postings/", body, format="json")
    assert response.status_code == 400, response.content


def test_a_clinician_cannot_create_postings_and_an_outsider_does_not_see_them(
    personas, posting, expert, today
):
    response = api(personas.doctor).post(
        "/api/postings/",
        {
            "practitioner": str(expert.external_id),
            "host_institution": str(personas.village_a.external_id),
            "kind": "short_term",
            "starts_on": (today + days(30)).isoformat(),
            "ends_on": (today + days(31)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403
    assert api(personas.doctor).get(f"/api/postings/{posting.external_id}/").status_code == 200
    assert api(personas.outsider).get(f"/api/postings/{posting.external_id}/").status_code == 404
    assert api(personas.outsider).get("/api/postings/").json()["count"] == 0
    assert api(None).get("/api/postings/").status_code in {401, 403}


def test_the_posted_doctor_records_activity_and_reads_it_back(personas, posting, today):
    client = api(personas.specialist)
    url = f"/api/postings/{posting.external_id}/activity/"
    response = client.post(
        url, {"on": today.isoformat(), "kind": "clinic", "patients": 18}, format="json"
    )
    assert response.status_code == 201, response.content
    outside = client.post(
        url, {"on": (today - days(4)).isoformat(), "kind": "clinic"}, format="json"
    )
    assert outside.status_code == 400 and "on" in outside.json()
    assert [row["patients"] for row in client.get(url).json()] == [18]
    assert (
        api(personas.doctor).post(url, {"on": today.isoformat(), "kind": "clinic"}).status_code
        == 403
    )


def test_posting_list_query_count_does_not_grow(
    personas, officer, today, django_assert_max_num_queries
):
    for n in range(12):
        doctor = PractitionerFactory(institution=personas.county_a, title=Title.CHIEF)
        do_create_posting(
            actor=officer,
            practitioner=doctor,
            host_institution=personas.township_a,
            kind="itinerant",
            starts_on=today + days(n),
            ends_on=today + days(n),
        )
    client = api(officer)
    with django_assert_max_num_queries(8):
        response = client.get("/api/postings/", {"host": str(personas.township_a.external_id)})
    assert response.json()["count"] == 12
    assert client.get("/api/postings/", {"active_on": today.isoformat()}).json()["count"] == 1


def test_site_capabilities_say_who_brings_which(personas, posting):
    response = api(personas.doctor).get(
        f"/api/site-capabilities/{personas.township_a.external_id}/"
    )
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["capabilities"]}
    assert rows["thrombolysis_stroke"]["brought_by_posting"] is True
    assert rows["thrombolysis_stroke"]["providers"][0]["posting"] == str(posting.external_id)
    later = api(personas.doctor).get(
        f"/api/site-capabilities/{personas.township_a.external_id}/",
        {"at": (posting.ends_on + days(1)).isoformat() + "T09:00:00+08:00"},
    )
    assert "thrombolysis_stroke" not in {row["code"] for row in later.json()["capabilities"]}
    bad = api(personas.doctor).get(
        f"/api/site-capabilities/{personas.township_a.external_id}/", {"at": "2026-13-45"}
    )
    assert bad.status_code == 400
    foreign = api(personas.outsider).get(
        f"/api/site-capabilities/{personas.township_a.external_id}/"
    )
    assert foreign.status_code == 404


def test_site_capabilities_at_a_past_moment_use_the_equipment_status_then(
    personas, posting, time_machine
):
    from django.utils import timezone

    from lianxin.network.actions import do_change_equipment_status

    ct = Equipment.objects.get(institution=personas.township_a)
    broke = timezone.now()
    do_change_equipment_status(actor=personas.admin, equipment=ct, status="broken")
    time_machine.move_to(broke + datetime.timedelta(hours=2), tick=False)
    do_change_equipment_status(actor=personas.admin, equipment=ct, status="in_use")
    url = f"/api/site-capabilities/{personas.township_a.external_id}/"
    then = (broke + datetime.timedelta(hours=1)).isoformat()
    past = api(personas.doctor).get(url, {"at": then}).json()
    assert "ct" not in {row["code"] for row in past["capabilities"]}
    assert [row["code"] for row in past["blocked"]] == ["thrombolysis_stroke"]
    now = api(personas.doctor).get(url).json()
    assert {"ct", "thrombolysis_stroke"} <= {row["code"] for row in now["capabilities"]}
    nobody = api(personas.doctor).get("/api/sites-with/", {"capability": "ct", "at": then})
    assert nobody.json() == []


def test_sites_with_answers_within_the_users_network(
    personas, posting, django_assert_max_num_queries
):
    client = api(personas.doctor)
    client.get("/api/sites-with/", {"capability": "ct"})  # warm the user's access
    with django_assert_max_num_queries(12):
        response = client.get("/api/sites-with/", {"capability": "thrombolysis_stroke"})
    assert [row["institution_name"] for row in response.json()] == [personas.township_a.name]
    assert (
        api(personas.outsider).get("/api/sites-with/", {"capability": "thrombolysis_stroke"}).json()
        == []
    )
    assert client.get("/api/sites-with/", {"capability": "teleportation"}).status_code == 400
    assert client.get("/api/sites-with/").status_code == 400


def test_figures_are_for_readers_of_aggregates(personas, officer, posting):
    assert api(personas.doctor).get("/api/outreach-figures/").status_code == 403
    response = api(personas.commission).get("/api/outreach-figures/")
    assert response.status_code == 200
    assert response.json()["totals"]["person_times"] == 1
    assert api(officer).get("/api/outreach-figures/", {"year": "20x5"}).status_code == 400
    community = api(officer).get(
        "/api/outreach-figures/", {"community": str(personas.community_b.external_id)}
    )
    assert community.status_code == 404


def test_capability_building_goes_through_the_api(personas, officer, expert, today):
    client = api(officer)
    technique = client.post(
        "/api/techniques/",
        {
            "host_institution": str(personas.township_a.external_id),
            "name": "无痛胃镜",
            "mentor": str(expert.external_id),
            "introduced_on": (today - days(30)).isoformat(),
            "capability": "endoscopic_haemostasis",
        },
        format="json",
    )
    assert technique.status_code == 201, technique.content
    url = f"/api/techniques/{technique.json()['id']}/case/"
    case = client.post(
        url, {"performed_on": (today - days(20)).isoformat(), "with_mentor": True}, format="json"
    )
    assert case.json()["first_case_on"] == (today - days(20)).isoformat()
    assert (
        client.post(url, {"performed_on": today.isoformat(), "with_mentor": False}).status_code
        == 400
    )

    specialty = client.post(
        "/api/cobuilt-specialties/",
        {
            "lead_institution": str(personas.county_a.external_id),
            "host_institution": str(personas.township_a.external_id),
            "name": "全科",
            "goals": "慢病管理",
            "starts_on": today.isoformat(),
        },
        format="json",
    )
    assert specialty.status_code == 201, specialty.content
    status_url = f"/api/cobuilt-specialties/{specialty.json()['id']}/status/"
    assert client.post(status_url, {"status": "achieved"}).json()["status"] == "achieved"

    trainee = PractitionerFactory(institution=personas.township_a)
    placement = client.post(
        "/api/placements/",
        {
            "trainee": str(trainee.external_id),
            "host_institution": str(personas.county_a.external_id),
            "starts_on": (today - days(60)).isoformat(),
            "ends_on": today.isoformat(),
        },
        format="json",
    )
    assert placement.status_code == 201, placement.content
    assess = client.post(
        f"/api/placements/{placement.json()['id']}/assess/",
        {"result": "passed", "assessed_on": today.isoformat()},
        format="json",
    )
    assert assess.json()["result"] == "passed"

    course = client.post(
        "/api/courses/",
        {
            "provider": str(personas.county_a.external_id),
            "title": "基层胸痛识别",
            "starts_on": (today - days(7)).isoformat(),
        },
        format="json",
    )
    assert course.status_code == 201
    session = client.post(
        f"/api/courses/{course.json()['id']}/sessions/",
        {
            "held_on": today.isoformat(),
            "topic": "心电图判读",
            "attendance": [
                {"institution": str(personas.township_a.external_id), "attendees": 12},
                {"institution": str(personas.village_a.external_id), "attendees": 4},
            ],
        },
        format="json",
    )
    assert session.status_code == 201, session.content
    assert session.json()["attendees"] == 16
    assert api(personas.doctor).get("/api/education-sessions/").json()["count"] == 1
    assert api(personas.outsider).get("/api/education-sessions/").json()["count"] == 0


def test_a_clinician_cannot_write_capability_building(personas, expert, today):
    client = api(personas.doctor)
    response = client.post(
        "/api/courses/",
        {
            "provider": str(personas.township_a.external_id),
            "title": "x",
            "starts_on": today.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403
    response = client.post(
        "/api/techniques/",
        {
            "host_institution": str(personas.township_a.external_id),
            "name": "x",
            "mentor": str(expert.external_id),
            "introduced_on": today.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403


def test_specialties_courses_and_attendance_are_edited_through_the_api(
    personas, officer, today, django_assert_max_num_queries
):
    from lianxin.network.models import Agreement
    from lianxin.workforce.models import Specialty

    agreement = Agreement.objects.create(
        party_a=personas.county_a,
        party_b=personas.township_a,
        kind="tight",
        scope="专科共建",
        starts_on=datetime.date(2020, 1, 1),
    )
    catalogue = Specialty.objects.order_by("code").first()
    client = api(officer)
    created = client.post(
        "/api/cobuilt-specialties/",
        {
            "lead_institution": str(personas.county_a.external_id),
            "host_institution": str(personas.township_a.external_id),
            "name": "全科",
            "goals": "慢病管理",
            "status": "building",
            "agreement": str(agreement.external_id),
            "specialty": catalogue.code,
            "starts_on": today.isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["agreement"] == str(agreement.external_id) and body["status"] == "building"
    url = f"/api/cobuilt-specialties/{body['id']}/"
    edited = client.patch(url, {"goals": "慢病管理 500 人", "agreement": None}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["goals"] == "慢病管理 500 人" and edited.json()["agreement"] is None
    assert client.patch(url, {"status": "done"}, format="json").status_code == 400
    assert client.patch(url, {"specialty": "no-such"}, format="json").status_code == 400
    assert client.patch(url, {"goals": ""}, format="json").status_code == 400
    assert api(personas.doctor).patch(url, {"status": "achieved"}, format="json").status_code == 403
    assert (
        api(personas.outsider).patch(url, {"status": "achieved"}, format="json").status_code == 404
    )

    course = client.post(
        "/api/courses/",
        {
            "provider": str(personas.county_a.external_id),
            "title": "基层胸痛识别",
            "starts_on": (today - days(7)).isoformat(),
        },
        format="json",
    ).json()
    course_url = f"/api/courses/{course['id']}/"
    renamed = client.patch(course_url, {"title": "基层胸痛识别（一）"}, format="json")
    assert renamed.json()["title"] == "基层胸痛识别（一）"
    session = client.post(
        f"{course_url}sessions/",
        {"held_on": (today - days(1)).isoformat(), "topic": "心电图判读"},
        format="json",
    ).json()
    too_late = client.patch(course_url, {"starts_on": today.isoformat()}, format="json")
    assert too_late.status_code == 400 and "starts_on" in too_late.json()

    attendance_url = f"/api/education-sessions/{session['id']}/attendance/"
    township = str(personas.township_a.external_id)
    first = client.post(attendance_url, {"institution": township, "attendees": 12}, format="json")
    assert first.status_code == 201, first.content
    again = client.post(
        attendance_url,
        {"institution": township, "attendees": 12, "assessed": 10, "passed": 9},
        format="json",
    )
    assert again.json()["passed"] == 9
    bad = client.post(
        attendance_url,
        {"institution": township, "attendees": 3, "assessed": 4, "passed": 0},
        format="json",
    )
    assert bad.status_code == 400 and "assessed" in bad.json()
    foreign = client.post(
        attendance_url,
        {"institution": str(personas.county_b.external_id), "attendees": 3},
        format="json",
    )
    assert foreign.status_code == 400
    with django_assert_max_num_queries(8):
        rows = api(personas.doctor).get(attendance_url)
    assert rows.json() == [
        {
            "institution": township,
            "institution_name": personas.township_a.name,
            "attendees": 12,
            "assessed": 10,
            "passed": 9,
        }
    ]
    assert api(personas.outsider).get(attendance_url).status_code == 404
    denied = api(personas.doctor).post(
        attendance_url, {"institution": township, "attendees": 1}, format="json"
    )
    assert denied.status_code == 403
