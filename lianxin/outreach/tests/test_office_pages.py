"""The outreach office's pages for co-built specialties, remote education (courses, sessions,
attendance and assessment) and a posting's period, as each persona; bad input; query counts."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.core.models import AuditEvent
from lianxin.network.models import Agreement
from lianxin.outreach.actions import (
    do_create_cobuilt_specialty,
    do_create_course,
    do_create_posting,
    do_record_activity,
    do_record_attendance,
    do_record_session,
)
from lianxin.outreach.models import CoBuiltSpecialty, Course, EducationSession, SessionAttendance
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import InstitutionFactory, PractitionerFactory, add_member
from lianxin.workforce.models import Title

pytestmark = pytest.mark.django_db

PERSONAS = ["doctor", "specialist", "admin", "commission"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agreement(personas):
    return Agreement.objects.create(
        party_a=personas.county_a,
        party_b=personas.township_a,
        kind="tight",
        scope="专科共建",
        starts_on=datetime.date(2020, 1, 1),
    )


@pytest.fixture
def specialty(personas, officer, agreement, today):
    return do_create_cobuilt_specialty(
        actor=officer,
        lead_institution=personas.county_a,
        host_institution=personas.township_a,
        name="慢病管理",
        goals="年内开设慢病门诊",
        starts_on=today - days(30),
        agreement=agreement,
    )


@pytest.fixture
def course(personas, officer, today):
    return do_create_course(
        actor=officer, provider=personas.county_a, title="基层胸痛识别", starts_on=today - days(60)
    )


@pytest.fixture
def session(officer, course, expert, today):
    return do_record_session(
        actor=officer, course=course, held_on=today - days(7), topic="心电图判读", lecturer=expert
    )


@pytest.fixture
def posting(personas, officer, expert, today):
    return do_create_posting(
        actor=officer,
        practitioner=expert,
        host_institution=personas.township_a,
        kind="short_term",
        starts_on=today - days(5),
        ends_on=today + days(20),
    )


def _detail_urls(specialty, course, session, posting) -> list[str]:
    return [
        reverse("outreach:specialty", kwargs={"id": specialty.external_id}),
        reverse("outreach:course", kwargs={"id": course.external_id}),
        reverse("outreach:session", kwargs={"id": session.external_id}),
    ]


# --- Personas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "outreach:specialties",
        "outreach:specialty-create",
        "outreach:courses",
        "outreach:course-create",
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_anonymous_visitors_are_sent_to_log_in_from_each_record(
    client, specialty, course, session, posting
):
    urls = _detail_urls(specialty, course, session, posting)
    urls.append(reverse("outreach:posting-period", kwargs={"id": posting.external_id}))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


@pytest.mark.parametrize("who", PERSONAS)
def test_the_network_sees_the_lists_and_records_without_forms(
    personas, who, specialty, course, session, posting
):
    client = personas.client(who)
    specialties = client.get(reverse("outreach:specialties"))
    assert specialties.status_code == 200
    assert [s.name for s in specialties.context["page"].object_list] == ["慢病管理"]
    assert not specialties.context["can_create"]
    courses = client.get(reverse("outreach:courses"))
    assert [c.title for c in courses.context["page"].object_list] == ["基层胸痛识别"]
    for url, form in zip(
        _detail_urls(specialty, course, session, posting),
        ("form", "session_form", "form"),
        strict=True,
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context[form] is None, url


def test_another_community_gets_404_and_empty_lists(personas, specialty, course, session, posting):
    client = personas.client("outsider")
    assert not list(client.get(reverse("outreach:specialties")).context["page"].object_list)
    assert not list(client.get(reverse("outreach:courses")).context["page"].object_list)
    urls = _detail_urls(specialty, course, session, posting)
    urls.append(reverse("outreach:posting-period", kwargs={"id": posting.external_id}))
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"form": "course", "status": "achieved"}).status_code == 404, url


@pytest.mark.parametrize("who", ["doctor", "commission", "admin"])
def test_only_the_outreach_office_may_write(personas, who, specialty, course, session, posting):
    client = personas.client(who)
    assert client.get(reverse("outreach:specialty-create")).status_code == 403
    assert client.get(reverse("outreach:course-create")).status_code == 403
    period = reverse("outreach:posting-period", kwargs={"id": posting.external_id})
    assert client.get(period).status_code == 403
    assert client.post(period, {"starts_on": "2020-01-01"}).status_code == 403
    specialty_url = reverse("outreach:specialty", kwargs={"id": specialty.external_id})
    assert client.post(specialty_url, {"status": "achieved"}).status_code == 403
    course_url = reverse("outreach:course", kwargs={"id": course.external_id})
    assert client.post(course_url, {"form": "session"}).status_code == 403
    session_url = reverse("outreach:session", kwargs={"id": session.external_id})
    assert client.post(session_url, {"attendees": 3}).status_code == 403
    specialty.refresh_from_db()
    assert specialty.status == "planned"
    assert not EducationSession.objects.exclude(pk=session.pk).exists()


# --- Co-built specialties ------------------------------------------------------------------


def test_the_office_creates_a_specialty_with_its_agreement_and_edits_it(
    personas, officer, agreement, today
):
    client = logged_in(officer)
    response = client.post(
        reverse("outreach:specialty-create"),
        {
            "lead_institution": personas.county_a.pk,
            "host_institution": personas.township_a.pk,
            "name": "胸痛救治单元",
            "agreement": agreement.pk,
            "goals": "建成标准版胸痛救治单元",
            "status": "building",
            "starts_on": (today - days(10)).isoformat(),
        },
    )
    item = CoBuiltSpecialty.objects.get()
    assert response.status_code == 302 and str(item.external_id) in response["Location"]
    assert item.agreement == agreement and item.status == "building"
    url = reverse("outreach:specialty", kwargs={"id": item.external_id})
    page = client.get(url)
    assert page.context["form"].initial["goals"] == "建成标准版胸痛救治单元"
    edited = client.post(
        url,
        {
            "name": "胸痛救治单元",
            "agreement": agreement.pk,
            "goals": "建成标准版胸痛救治单元，D2W 时间 ≤ 90 分钟",
            "status": "achieved",
            "starts_on": (today - days(10)).isoformat(),
            "ends_on": today.isoformat(),
        },
    )
    assert edited.status_code == 302
    item.refresh_from_db()
    assert item.status == "achieved" and item.ends_on == today and "D2W" in item.goals
    event = AuditEvent.objects.get(action="outreach.specialty.update")
    assert set(event.after) == {"goals", "status", "ends_on"}


def test_bad_specialty_input_is_shown_on_the_form_and_saves_nothing(personas, officer, today):
    client = logged_in(officer)
    other = Agreement.objects.create(
        party_a=personas.county_a,
        party_b=personas.village_a,
        kind="tight",
        scope="x",
        starts_on=datetime.date(2020, 1, 1),
    )
    base = {
        "lead_institution": personas.county_a.pk,
        "host_institution": personas.township_a.pk,
        "name": "慢病管理",
        "goals": "目标",
        "status": "planned",
        "starts_on": today.isoformat(),
    }
    for changes, field in (
        ({"ends_on": (today - days(1)).isoformat()}, "ends_on"),
        ({"host_institution": personas.county_a.pk}, "host_institution"),
        ({"goals": ""}, "goals"),
        ({"status": "finished"}, "status"),
        ({"agreement": other.pk}, "agreement"),
        ({"host_institution": personas.county_b.pk}, "host_institution"),
        ({"starts_on": "31/02/2026"}, "starts_on"),
    ):
        response = client.post(reverse("outreach:specialty-create"), {**base, **changes})
        assert response.status_code == 200, changes
        assert response.context["form"].errors[field], changes
    assert not CoBuiltSpecialty.objects.exists()


def test_a_bad_edit_keeps_the_specialty_as_it_was(officer, specialty, today):
    url = reverse("outreach:specialty", kwargs={"id": specialty.external_id})
    response = logged_in(officer).post(
        url,
        {
            "name": "慢病管理",
            "goals": "目标",
            "status": "building",
            "starts_on": today.isoformat(),
            "ends_on": (today - days(5)).isoformat(),
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["ends_on"]
    specialty.refresh_from_db()
    assert specialty.status == "planned"


def test_the_specialty_list_takes_a_fixed_number_of_queries(
    personas, officer, agreement, today, django_assert_max_num_queries
):
    for n in range(15):
        site = InstitutionFactory()
        add_member(personas.community_a, site)
        CoBuiltSpecialty.objects.create(
            lead_institution=personas.county_a,
            host_institution=site,
            name=f"专科 {n}",
            goals="目标",
            agreement=agreement,
            starts_on=today - days(n),
        )
    client = logged_in(officer)
    client.get(reverse("outreach:specialties"))
    # One of them reads the signed-in person's name and title for the navigation.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("outreach:specialties"), {"status": "planned"})
    assert len(response.context["page"].object_list) == 15


# --- Remote education ------------------------------------------------------------------------


def test_the_office_creates_a_course_records_a_session_and_its_attendance(
    personas, officer, expert, today
):
    client = logged_in(officer)
    created = client.post(
        reverse("outreach:course-create"),
        {
            "provider": personas.county_a.pk,
            "title": "基层卒中识别",
            "topic": "神经内科",
            "starts_on": (today - days(14)).isoformat(),
        },
    )
    course = Course.objects.get()
    assert created.status_code == 302 and str(course.external_id) in created["Location"]
    course_url = reverse("outreach:course", kwargs={"id": course.external_id})
    recorded = client.post(
        course_url,
        {
            "form": "session",
            "session-held_on": (today - days(1)).isoformat(),
            "session-topic": "FAST 评估",
            "session-lecturer": expert.pk,
            "session-is_live": "on",
        },
    )
    session = EducationSession.objects.get()
    assert recorded.status_code == 302 and str(session.external_id) in recorded["Location"]
    session_url = reverse("outreach:session", kwargs={"id": session.external_id})
    for institution, numbers in (
        (personas.township_a, {"attendees": 15, "assessed": 0, "passed": 0}),
        (personas.village_a, {"attendees": 4, "assessed": 4, "passed": 3}),
        (personas.township_a, {"attendees": 15, "assessed": 12, "passed": 11}),
    ):
        response = client.post(session_url, {"institution": institution.pk, **numbers})
        assert response.status_code == 302
    page = client.get(session_url)
    assert page.context["totals"] == {"attendees": 19, "assessed": 16, "passed": 14}
    listing = client.get(reverse("outreach:courses"))
    (row,) = listing.context["page"].object_list
    assert (row.session_count, row.attendees, row.passed) == (1, 19, 14)
    renamed = client.post(
        course_url,
        {
            "form": "course",
            "course-title": "基层卒中识别（第二期）",
            "course-starts_on": (today - days(14)).isoformat(),
        },
    )
    assert renamed.status_code == 302
    course.refresh_from_db()
    assert course.title == "基层卒中识别（第二期）"


def test_bad_education_input_is_shown_on_the_form(personas, officer, course, session, today):
    client = logged_in(officer)
    course_url = reverse("outreach:course", kwargs={"id": course.external_id})
    for data, form_name, field in (
        (
            {"session-held_on": (today + days(1)).isoformat(), "session-topic": "x"},
            "session",
            "held_on",
        ),
        (
            {"session-held_on": (today - days(61)).isoformat(), "session-topic": "x"},
            "session",
            "held_on",
        ),
        ({"session-held_on": today.isoformat(), "session-topic": ""}, "session", "topic"),
        ({"course-title": "课程", "course-starts_on": today.isoformat()}, "course", "starts_on"),
        ({"course-title": " ", "course-starts_on": "2026-01-01"}, "course", "title"),
    ):
        response = client.post(course_url, {"form": form_name, **data})
        assert response.status_code == 200, data
        assert response.context[f"{form_name}_form"].errors[field], data
    assert client.post(course_url, {"form": "nonsense"}).status_code == 403
    session_url = reverse("outreach:session", kwargs={"id": session.external_id})
    for numbers, field in (
        ({"attendees": 5, "assessed": 6, "passed": 0}, "assessed"),
        ({"attendees": 5, "assessed": 5, "passed": 6}, "passed"),
        ({"attendees": -2, "assessed": 0, "passed": 0}, "attendees"),
        ({"attendees": "many", "assessed": 0, "passed": 0}, "attendees"),
    ):
        response = client.post(session_url, {"institution": personas.township_a.pk, **numbers})
        assert response.status_code == 200 and response.context["form"].errors[field], numbers
    foreign = client.post(session_url, {"institution": personas.county_b.pk, "attendees": 3})
    assert foreign.context["form"].errors["institution"]
    provider_elsewhere = client.post(
        reverse("outreach:course-create"),
        {"provider": personas.county_b.pk, "title": "x", "starts_on": today.isoformat()},
    )
    assert provider_elsewhere.context["form"].errors["provider"]
    assert not SessionAttendance.objects.exists()
    assert Course.objects.count() == 1 and EducationSession.objects.count() == 1


def test_the_education_lists_take_a_fixed_number_of_queries(
    personas, officer, expert, today, django_assert_max_num_queries
):
    for n in range(12):
        course = do_create_course(
            actor=officer, provider=personas.county_a, title=f"课程 {n}", starts_on=today - days(90)
        )
        for k in range(3):
            session = do_record_session(
                actor=officer,
                course=course,
                held_on=today - days(k + 1),
                topic=f"第 {k + 1} 讲",
                lecturer=expert,
            )
            for site in (personas.township_a, personas.village_a):
                do_record_attendance(
                    actor=officer, session=session, institution=site, attendees=5, assessed=2
                )
    client = logged_in(officer)
    client.get(reverse("outreach:courses"))
    # One of them reads the signed-in person's name and title for the navigation.
    with django_assert_max_num_queries(11):
        listing = client.get(reverse("outreach:courses"))
    assert len(listing.context["page"].object_list) == 12
    assert {c.attendees for c in listing.context["page"].object_list} == {30}
    course_url = reverse("outreach:course", kwargs={"id": course.external_id})
    with django_assert_max_num_queries(13):
        detail = client.get(course_url)
    assert [s.attendees for s in detail.context["sessions"]] == [10, 10, 10]
    session_url = reverse("outreach:session", kwargs={"id": session.external_id})
    with django_assert_max_num_queries(13):
        page = client.get(session_url)
    assert page.context["totals"]["attendees"] == 10


# --- A posting's period --------------------------------------------------------------------


def test_the_office_extends_a_posting_and_sees_the_overlap_message(
    personas, officer, expert, posting, today
):
    client = logged_in(officer)
    later = do_create_posting(
        actor=officer,
        practitioner=expert,
        host_institution=personas.village_a,
        kind="itinerant",
        starts_on=today + days(30),
        ends_on=today + days(31),
    )
    url = reverse("outreach:posting-period", kwargs={"id": posting.external_id})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["ends_on"] == posting.ends_on
    detail = client.get(reverse("outreach:posting", kwargs={"id": posting.external_id}))
    assert url in detail.content.decode()
    overlap = client.post(
        url, {"starts_on": posting.starts_on.isoformat(), "ends_on": (today + days(30)).isoformat()}
    )
    assert overlap.status_code == 200
    message = " ".join(overlap.context["form"].errors["starts_on"])
    assert str(later.external_id) in message and personas.village_a.name in message
    assert str(later.external_id) in overlap.content.decode()
    posting.refresh_from_db()
    assert posting.ends_on == today + days(20)
    extended = client.post(
        url, {"starts_on": posting.starts_on.isoformat(), "ends_on": (today + days(29)).isoformat()}
    )
    assert extended.status_code == 302
    posting.refresh_from_db()
    assert posting.ends_on == today + days(29)
    assert AuditEvent.objects.filter(action="outreach.posting.change_period").count() == 1


def test_bad_periods_are_refused_on_the_form(personas, officer, expert, posting, today):
    do_record_activity(actor=officer, posting=posting, on=today - days(4), kind="clinic")
    client = logged_in(officer)
    url = reverse("outreach:posting-period", kwargs={"id": posting.external_id})
    start = posting.starts_on.isoformat()
    for data, field in (
        ({"starts_on": start, "ends_on": (today - days(6)).isoformat()}, "ends_on"),
        ({"starts_on": (today - days(2)).isoformat(), "ends_on": start}, "ends_on"),
        ({"starts_on": start, "ends_on": "not a day"}, "ends_on"),
        ({"starts_on": start, "ends_on": (today + days(2000)).isoformat()}, "ends_on"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert response.context["form"].errors[field], data
    posting.refresh_from_db()
    assert (posting.starts_on, posting.ends_on) == (today - days(5), today + days(20))


def test_a_cancelled_posting_has_no_period_to_change(personas, officer, today):
    doctor = PractitionerFactory(institution=personas.county_a, title=Title.CHIEF)
    posting = do_create_posting(
        actor=officer,
        practitioner=doctor,
        host_institution=personas.township_a,
        kind="itinerant",
        starts_on=today + days(3),
        ends_on=today + days(3),
    )
    client = logged_in(officer)
    client.post(
        reverse("outreach:posting-cancel", kwargs={"id": posting.external_id}), {"reason": "改期"}
    )
    url = reverse("outreach:posting-period", kwargs={"id": posting.external_id})
    assert (
        url
        not in client.get(
            reverse("outreach:posting", kwargs={"id": posting.external_id})
        ).content.decode()
    )
    response = client.post(
        url, {"starts_on": (today + days(4)).isoformat(), "ends_on": (today + days(4)).isoformat()}
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
