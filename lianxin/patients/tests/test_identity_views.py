"""Identity pages: the emergency desk's one-step registration, matches offered at registration,
the MPI administrators' queue, and old links to a merged record."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.patients.identity_actions import queue_candidates
from lianxin.patients.matching import Probe, compare
from lianxin.patients.models import CandidateStatus, DuplicateCandidate, Patient
from lianxin.testing.factories import MembershipFactory, PatientFactory, UserFactory, register_at

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mpi(personas):
    user = UserFactory(username="mpi_township", display_name="周管理")
    MembershipFactory(user=user, institution=personas.township_a, role="mpi_admin")
    return user


def _pair(personas):
    twin = PatientFactory(name="张叁", id_number=None, phone="", address="")
    register_at(twin, personas.village_a, "V-0001")
    probe = Probe.of(twin)
    candidate = compare(probe, personas.patient)
    queue_candidates(
        [(twin.pk, personas.patient.pk, 12.5, 0.97, [e.as_dict() for e in candidate.evidence])],
        "batch",
    )
    return twin


def test_the_emergency_desk_registers_an_unknown_patient_in_one_step(personas):
    desk = UserFactory(username="desk")
    MembershipFactory(user=desk, institution=personas.county_a, role="emergency_desk")
    response = _login(desk).post(
        reverse("patients:unidentified"),
        {
            "institution": personas.county_a.external_id,
            "sex": "1",
            "estimated_age": "45",
            "place": "green_channel",
            "description": "蓝色外套，左臂纹身",
        },
        follow=True,
    )
    assert response.status_code == 200
    patient = Patient.objects.get(is_unidentified=True)
    assert patient.name.startswith("无名氏") and patient.birth_date_estimated
    assert "左臂纹身" in response.content.decode()


def test_registration_offers_the_likely_match_before_creating_a_new_patient(personas):
    client = _login(personas.doctor)
    data = {
        "institution": personas.township_a.external_id,
        "name": "张三",
        "sex": "1",
        "birth_date": "1960-05-17",
        "id_number": "",
        "phone": "",
        "address": "",
        "mrn": "",
    }
    response = client.post(reverse("patients:register"), data)
    assert response.status_code == 200
    assert Patient.objects.count() == 1
    assert response.context["offers"][0].candidate.patient == personas.patient
    response = client.post(reverse("patients:register"), {**data, "confirm_new": "1"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2
    assert DuplicateCandidate.objects.filter(source="registration").count() == 1


def test_the_mpi_admin_reviews_the_queue_with_evidence_and_merges(
    personas, mpi, django_assert_max_num_queries
):
    twin = _pair(personas)
    client = _login(mpi)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("patients:duplicates"))
    body = response.content.decode()
    assert "张叁" in body and "12.5" in body
    assert len(response.context["items"][0]["evidence"]) >= 3
    candidate = DuplicateCandidate.objects.get()
    response = client.post(
        reverse("patients:candidate-merge", kwargs={"id": candidate.external_id}),
        {"survivor": "first" if candidate.first_id == personas.patient.pk else "second"},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MERGED
    # An old link to the merged record opens the survivor.
    response = _login(personas.doctor).get(
        reverse("patients:detail", kwargs={"id": twin.external_id})
    )
    assert response.status_code == 302
    assert str(personas.patient.external_id) in response["Location"]


def test_a_clinician_has_no_queue_and_an_outsider_cannot_merge_a_pair(personas, mpi):
    _pair(personas)
    assert _login(personas.doctor).get(reverse("patients:duplicates")).status_code == 403
    outsider_mpi = UserFactory(username="mpi_b")
    MembershipFactory(user=outsider_mpi, institution=personas.county_b, role="mpi_admin")
    candidate = DuplicateCandidate.objects.get()
    response = _login(outsider_mpi).post(
        reverse("patients:candidate-merge", kwargs={"id": candidate.external_id})
    )
    assert response.status_code == 404
    assert Patient.objects.filter(merged_into__isnull=False).count() == 0


def test_the_mpi_admin_identifies_an_unknown_patient_from_its_page(personas, mpi):
    from lianxin.patients.identity_actions import do_register_unidentified_patient

    unknown = do_register_unidentified_patient(
        actor=personas.doctor,
        institution=personas.township_a,
        sex="1",
        estimated_age=60,
        arrived_at=datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC),
    )
    client = _login(mpi)
    page = client.get(
        reverse("patients:resolve", kwargs={"id": unknown.external_id}), {"q": "张三"}
    )
    assert personas.patient in page.context["results"]
    client.post(
        reverse("patients:resolve", kwargs={"id": unknown.external_id}),
        {"other": personas.patient.external_id, "reason": "家属确认"},
    )
    assert Patient.objects.get(pk=unknown.pk).merged_into == personas.patient
