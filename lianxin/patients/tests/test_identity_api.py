"""Identity management through the API: every step the pages offer (unidentified patient, possible
matches before registering, the review queue, merge proposed and confirmed across institutions,
decline, unmerge) over the same input forms, the same messages, and the outsider's 404 on each."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.patients.identity_actions import (
    do_merge_patients,
    do_register_unidentified_patient,
    queue_candidates,
)
from lianxin.patients.matching import Probe, compare
from lianxin.patients.models import (
    CandidateStatus,
    DuplicateCandidate,
    MergeStatus,
    Patient,
    PatientMerge,
)
from lianxin.testing.factories import MembershipFactory, PatientFactory, UserFactory, register_at

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def mpi(personas):
    def admin(username, institution):
        user = UserFactory(username=username, display_name=username)
        MembershipFactory(user=user, institution=institution, role="mpi_admin")
        return user

    return {
        "township": admin("mpi_township", personas.township_a),
        "county": admin("mpi_county", personas.county_a),
        "outsider": admin("mpi_b", personas.county_b),
    }


def _pair(personas) -> DuplicateCandidate:
    twin = PatientFactory(name="张叁", id_number=None, phone="", address="")
    register_at(twin, personas.village_a, "V-0001")
    evidence = [e.as_dict() for e in compare(Probe.of(twin), personas.patient).evidence]
    queue_candidates([(twin.pk, personas.patient.pk, 12.5, 0.97, evidence)], "batch")
    return DuplicateCandidate.objects.get()


def test_the_emergency_desk_registers_an_unknown_patient_through_the_api(personas):
    desk = UserFactory(username="desk")
    MembershipFactory(user=desk, institution=personas.county_a, role="emergency_desk")
    body = {
        "institution": str(personas.county_a.external_id),
        "sex": "1",
        "estimated_age": 45,
        "place": "green_channel",
        "description": "蓝色外套",
    }
    response = _api(desk).post("/api/patients/unidentified/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["name"].startswith("无名氏")
    patient = Patient.objects.get(is_unidentified=True)
    assert patient.arrival.description == "蓝色外套"


@pytest.mark.parametrize(
    "change,field",
    [
        ({"estimated_age": 300}, "estimated_age"),
        ({"sex": "X"}, "sex"),
        ({"institution": "not-a-uuid"}, "institution"),
        ({"place": "roof"}, "place"),
    ],
)
def test_a_bad_unknown_patient_gets_the_same_error_on_the_page_and_the_api(personas, change, field):
    desk = UserFactory(username="desk")
    MembershipFactory(user=desk, institution=personas.county_a, role="emergency_desk")
    body = {
        "institution": str(personas.county_a.external_id),
        "sex": "1",
        "estimated_age": "45",
        "place": "emergency_desk",
        **change,
    }
    page = personas.client(None)
    page.force_login(desk)
    on_page = page.post(reverse("patients:unidentified"), body)
    on_api = _api(desk).post("/api/patients/unidentified/", body, format="json")
    assert on_page.status_code == 200 and on_api.status_code == 400
    assert field in on_page.context["form"].errors and field in on_api.json()
    assert on_page.context["form"].errors[field] == on_api.json()[field]
    assert not Patient.objects.filter(is_unidentified=True).exists()


def test_possible_matches_are_offered_before_registering_through_the_api(personas):
    client = _api(personas.doctor)
    body = {"name": "张三", "sex": "1", "birth_date": "1960-05-17"}
    offers = client.post("/api/patients/candidates/", body, format="json")
    assert offers.status_code == 200, offers.content
    top = offers.json()[0]
    assert top["patient"] == str(personas.patient.external_id) and top["weight"] >= 8
    assert {e["field"] for e in top["evidence"]} >= {"name", "sex", "birth_date"}
    refused = client.post("/api/patients/", body, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "possible_duplicates"
    assert refused.json()["candidates"][0]["patient"] == top["patient"]
    assert Patient.objects.count() == 1
    made = client.post("/api/patients/", {**body, "confirm_new": True}, format="json")
    assert made.status_code == 201
    assert DuplicateCandidate.objects.filter(source="registration").count() == 1


def test_the_queue_lists_pairs_with_evidence_and_merges_through_the_api(personas, mpi):
    candidate = _pair(personas)
    client = _api(mpi["township"])
    queue = client.get("/api/patient-duplicates/?status=open").json()["results"]
    assert [row["id"] for row in queue] == [str(candidate.external_id)]
    assert queue[0]["evidence"] and queue[0]["score"] == 12.5
    keep = "first" if candidate.first_id == personas.patient.pk else "second"
    response = client.post(
        f"/api/patient-duplicates/{candidate.external_id}/merge/",
        {"survivor": keep, "reason": "同一人"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == MergeStatus.COMPLETED
    assert response.json()["target"] == str(personas.patient.external_id)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MERGED
    merge = PatientMerge.objects.get()
    undone = client.post(f"/api/patient-merges/{merge.external_id}/unmerge/", {}, format="json")
    assert undone.status_code == 200 and undone.json()["status"] == MergeStatus.UNDONE
    assert not Patient.objects.filter(merged_into__isnull=False).exists()


def test_a_pair_dismissed_twice_gets_the_same_message_on_the_page_and_the_api(personas, mpi):
    candidate = _pair(personas)
    url = f"/api/patient-duplicates/{candidate.external_id}/dismiss/"
    assert _api(mpi["township"]).post(url, {}, format="json").status_code == 200
    again = _api(mpi["township"]).post(url, {}, format="json")
    page = personas.client(None)
    page.force_login(mpi["township"])
    on_page = page.post(reverse("patients:candidate-dismiss", kwargs={"id": candidate.external_id}))
    assert again.status_code == 400 and on_page.status_code == 302
    shown = [str(m) for m in get_messages(on_page.wsgi_request)]
    assert again.json()["detail"] == shown


def test_a_cross_institution_merge_is_proposed_and_confirmed_through_the_api(personas, mpi):
    unknown = do_register_unidentified_patient(
        actor=personas.specialist, institution=personas.county_a, sex="1", estimated_age=60
    )
    proposed = _api(mpi["county"]).post(
        f"/api/patients/{unknown.external_id}/merge/",
        {"other": str(personas.patient.external_id), "reason": "家属确认"},
        format="json",
    )
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["status"] == MergeStatus.PROPOSED
    merge_id = proposed.json()["id"]
    own = _api(mpi["county"]).post(f"/api/patient-merges/{merge_id}/confirm/", {}, format="json")
    assert own.status_code == 403  # the proposer does not confirm their own proposal
    done = _api(mpi["township"]).post(f"/api/patient-merges/{merge_id}/confirm/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == MergeStatus.COMPLETED
    assert Patient.objects.get(pk=unknown.pk).merged_into == personas.patient


def test_a_declined_proposal_moves_nothing_through_the_api(personas, mpi):
    unknown = do_register_unidentified_patient(
        actor=personas.specialist, institution=personas.county_a, sex="1", estimated_age=60
    )
    merge = do_merge_patients(actor=mpi["county"], source=unknown, target=personas.patient)
    response = _api(mpi["township"]).post(
        f"/api/patient-merges/{merge.external_id}/reject/", {"reason": "不是同一人"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == MergeStatus.REJECTED
    assert Patient.objects.get(pk=unknown.pk).merged_into is None


def test_merging_a_patient_into_itself_is_a_400_and_changes_nothing(personas, mpi):
    response = _api(mpi["township"]).post(
        f"/api/patients/{personas.patient.external_id}/merge/",
        {"other": str(personas.patient.external_id)},
        format="json",
    )
    assert response.status_code == 400
    assert not PatientMerge.objects.exists()


def test_the_outsider_gets_404_on_every_identity_step_of_the_page_and_the_api(personas, mpi):
    candidate = _pair(personas)
    unknown = do_register_unidentified_patient(
        actor=personas.specialist, institution=personas.county_a, sex="1", estimated_age=60
    )
    merge = do_merge_patients(actor=mpi["county"], source=unknown, target=personas.patient)
    outsider = mpi["outsider"]
    client = _api(outsider)
    api_urls = [
        f"/api/patient-duplicates/{candidate.external_id}/merge/",
        f"/api/patient-duplicates/{candidate.external_id}/dismiss/",
        f"/api/patient-merges/{merge.external_id}/confirm/",
        f"/api/patient-merges/{merge.external_id}/reject/",
        f"/api/patient-merges/{merge.external_id}/unmerge/",
        f"/api/patients/{unknown.external_id}/merge/",
    ]
    for url in api_urls:
        assert client.post(url, {"other": str(personas.patient.external_id)}).status_code == 404
    assert client.get(f"/api/patient-duplicates/{candidate.external_id}/").status_code == 404
    assert client.get("/api/patient-merges/").json()["results"] == []
    page = personas.client(None)
    page.force_login(outsider)
    page_urls = [
        reverse("patients:candidate-merge", kwargs={"id": candidate.external_id}),
        reverse("patients:candidate-dismiss", kwargs={"id": candidate.external_id}),
        *(
            reverse("patients:merge-decide", kwargs={"id": merge.external_id, "decision": d})
            for d in ("confirm", "reject", "unmerge")
        ),
        reverse("patients:resolve", kwargs={"id": unknown.external_id}),
    ]
    for url in page_urls:
        assert page.post(url, {"other": personas.patient.external_id}).status_code == 404
    # A clinician without the role sees no queue on the API either.
    assert _api(personas.doctor).get("/api/patient-duplicates/").json()["results"] == []
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED
    assert DuplicateCandidate.objects.get().status == CandidateStatus.OPEN
