"""Merge and unmerge: every record follows, the merged record stays as a pointer, unmerge puts
back exactly what moved, and bad input changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianxin.core.errors import NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.tests.conftest import centre  # noqa: F401 - a fixture
from lianxin.diagnostics.tests.helpers import order
from lianxin.patients.identity_actions import (
    do_confirm_merge,
    do_merge_patients,
    do_register_unidentified_patient,
    do_reject_merge,
    do_unmerge_patients,
)
from lianxin.patients.models import (
    BreakGlassAccess,
    CareRelationship,
    MergeStatus,
    Patient,
    PatientIdentifier,
)
from lianxin.patients.references import patient_references
from lianxin.testing.factories import MembershipFactory, PatientFactory, UserFactory, register_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def mpi(personas):
    """MPI administrators at the township centre (keeping its villages' index too) and at the
    county hospital."""

    def admin(username, institution):
        user = UserFactory(username=username, display_name=username)
        MembershipFactory(user=user, institution=institution, role="mpi_admin")
        return user

    return {
        "township": admin("mpi_township", personas.township_a),
        "county": admin("mpi_county", personas.county_a),
    }


def _duplicate(personas, institution=None, **fields):
    data = {"name": "张三", "id_number": None, "phone": "", "address": ""}
    data.update(fields)
    patient = PatientFactory(**data)
    register_at(patient, institution or personas.village_a, f"DUP-{patient.pk}")
    return patient


def test_the_township_mpi_admin_merges_a_village_duplicate_and_its_exam_follows(
    personas,
    mpi,
    centre,  # noqa: F811 - the fixture imported above
):
    duplicate = _duplicate(personas)
    exam = order(personas)  # an exam ordered for the surviving patient stays where it is
    other_exam = ExamOrder.objects.get(pk=exam.pk)
    other_exam.patient = duplicate
    other_exam.save(update_fields=["patient"])
    merge = do_merge_patients(actor=mpi["township"], source=duplicate, target=personas.patient)
    assert merge.status == MergeStatus.COMPLETED
    assert ExamOrder.objects.get(pk=exam.pk).patient == personas.patient
    duplicate.refresh_from_db()
    assert duplicate.merged_into == personas.patient
    assert duplicate.survivor() == personas.patient
    assert PatientIdentifier.objects.filter(patient=personas.patient).count() == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"patient.merge", "patient.merged_into"} <= actions
    assert any(item["ref"] == "diagnostics.examorder.patient_id" for item in merge.moved)


def test_the_survivor_takes_the_id_number_it_lacked_and_gives_it_back_on_unmerge(personas, mpi):
    survivor = _duplicate(personas, name="李明")
    number = personas.patient.id_number
    do_unmerge_patients(
        actor=mpi["township"],
        merge=do_merge_patients(actor=mpi["township"], source=personas.patient, target=survivor),
    )
    personas.patient.refresh_from_db()
    survivor.refresh_from_db()
    assert personas.patient.id_number == number and survivor.id_number is None
    assert personas.patient.merged_into is None


def test_only_mpi_admins_merge(personas):
    duplicate = _duplicate(personas)
    with pytest.raises(NotAllowed):
        do_merge_patients(actor=personas.doctor, source=duplicate, target=personas.patient)
    assert Patient.objects.get(pk=duplicate.pk).merged_into is None


def test_a_patient_is_not_merged_into_itself_or_into_a_merged_record(personas, mpi):
    duplicate, third = _duplicate(personas), _duplicate(personas)
    with pytest.raises(ValidationError, match="itself"):
        do_merge_patients(actor=mpi["township"], source=duplicate, target=duplicate)
    do_merge_patients(actor=mpi["township"], source=duplicate, target=personas.patient)
    duplicate.refresh_from_db()
    with pytest.raises(ValidationError, match="merged into another"):
        do_merge_patients(actor=mpi["township"], source=third, target=duplicate)
    with pytest.raises(ValidationError, match="already been merged"):
        do_merge_patients(actor=mpi["township"], source=duplicate, target=third)
    assert Patient.objects.get(pk=third.pk).merged_into is None


def test_an_mpi_admin_of_another_county_cannot_see_or_merge_these_patients(personas):
    outsider_mpi = UserFactory(username="mpi_b")
    MembershipFactory(user=outsider_mpi, institution=personas.county_b, role="mpi_admin")
    duplicate = _duplicate(personas)
    before = AuditEvent.objects.count()
    with pytest.raises(NotAllowed, match=r"only one|neither"):
        do_merge_patients(actor=outsider_mpi, source=duplicate, target=personas.patient)
    assert AuditEvent.objects.count() == before
    assert not Patient.objects.visible_to(outsider_mpi).filter(pk=duplicate.pk).exists()


def test_a_cross_institution_merge_is_proposed_by_one_side_and_confirmed_by_the_other(
    personas, mpi
):
    unknown = do_register_unidentified_patient(
        actor=personas.specialist, institution=personas.county_a, sex="1", estimated_age=60
    )
    merge = do_merge_patients(actor=mpi["county"], source=unknown, target=personas.patient)
    assert merge.status == MergeStatus.PROPOSED
    assert Patient.objects.get(pk=unknown.pk).merged_into is None
    with pytest.raises(NotAllowed):
        do_confirm_merge(actor=mpi["county"], merge=merge)  # not their own proposal
    merge = do_confirm_merge(actor=mpi["township"], merge=merge)
    assert merge.status == MergeStatus.COMPLETED
    unknown.refresh_from_db()
    assert unknown.merged_into == personas.patient
    assert personas.patient.arrival.resolved_at is not None  # the arrival followed the patient


def test_a_rejected_proposal_moves_nothing(personas, mpi):
    unknown = do_register_unidentified_patient(
        actor=personas.specialist, institution=personas.county_a, sex="1", estimated_age=60
    )
    merge = do_merge_patients(actor=mpi["county"], source=unknown, target=personas.patient)
    do_reject_merge(actor=mpi["township"], merge=merge, reason="不是同一人")
    assert PatientIdentifier.objects.filter(patient=unknown).count() == 1
    with pytest.raises(ValidationError):
        do_confirm_merge(actor=mpi["township"], merge=merge)


def test_an_unmerge_that_a_later_merge_depends_on_is_refused(personas, mpi):
    first, second = _duplicate(personas), _duplicate(personas, name="张叁")
    earlier = do_merge_patients(actor=mpi["township"], source=first, target=second)
    do_merge_patients(actor=mpi["township"], source=second, target=personas.patient)
    with pytest.raises(ValidationError, match="undo that merge first"):
        do_unmerge_patients(actor=mpi["township"], merge=earlier)
    assert Patient.objects.get(pk=first.pk).merged_into_id == second.pk


def test_new_apps_foreign_keys_are_discovered_without_registration():
    labels = {ref.label for ref in patient_references()}
    assert "patients.patientidentifier.patient_id" in labels
    assert "patients.carerelationship.patient_id" in labels
    assert "referrals.referral.patient_id" in labels
    assert "diagnostics.examorder.patient_id" in labels
    assert "patients.patientmerge.source_id" not in labels


def _snapshot() -> dict:
    rows = {
        ref.label: sorted(ref.model._base_manager.values_list("pk", ref.field))
        for ref in patient_references()
    }
    rows["patients"] = sorted(
        Patient.objects.values_list("pk", "id_number", "phone", "address", "merged_into_id")
    )
    return rows


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    network=st.lists(
        st.tuples(
            st.sampled_from(["identifier", "care", "glass"]),
            st.integers(0, 3),  # which patient
            st.integers(0, 2),  # which institution
        ),
        max_size=12,
    ),
    source=st.integers(0, 3),
    target=st.integers(0, 3),
    give_ids=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_merge_then_unmerge_is_the_identity_on_a_random_network_of_records(
    personas, mpi, network, source, target, give_ids
):
    if source == target:
        return
    with transaction.atomic():
        institutions = [personas.township_a, personas.village_a, personas.county_a]
        patients = [
            PatientFactory(name=f"测试{i}")
            if give
            else PatientFactory(name=f"测试{i}", id_number=None, phone="", address="")
            for i, give in enumerate(give_ids)
        ]
        for patient in patients:
            register_at(patient, personas.township_a, f"T-{patient.pk}")
        now = timezone.now()
        for kind, who, where in network:
            patient, institution = patients[who], institutions[where]
            if kind == "identifier":
                PatientIdentifier.objects.get_or_create(
                    patient=patient,
                    institution=institution,
                    kind="health_card",
                    defaults={"value": f"HC-{patient.pk}-{institution.pk}"},
                )
            elif kind == "care":
                CareRelationship.objects.create(
                    patient=patient, institution=institution, reason="转诊"
                )
            else:
                BreakGlassAccess.objects.create(
                    user=personas.doctor,
                    patient=patient,
                    institution=institution,
                    reason="抢救",
                    expires_at=now + datetime.timedelta(hours=1),
                )
        before = _snapshot()
        merge = do_merge_patients(
            actor=mpi["township"], source=patients[source], target=patients[target]
        )
        assert Patient.objects.get(pk=patients[source].pk).merged_into_id == patients[target].pk
        do_unmerge_patients(actor=mpi["township"], merge=merge)
        assert _snapshot() == before
        transaction.set_rollback(True)


def test_an_old_fhir_reference_to_a_merged_patient_resolves_with_patient_link(personas, mpi):
    from fhir.resources.R4B.patient import Patient as FhirPatient

    from lianxin.interfaces.tests.fhir_helpers import fhir_get

    duplicate = _duplicate(personas)
    do_merge_patients(actor=mpi["township"], source=duplicate, target=personas.patient)
    old = fhir_get(personas.client("doctor"), f"/fhir/Patient/{duplicate.external_id}")
    assert old.status_code == 200
    merged = FhirPatient.model_validate(old.data_json)
    assert merged.active is False
    assert merged.link[0].type == "replaced-by"
    assert str(personas.patient.external_id) in merged.link[0].other.reference
    survivor = FhirPatient.model_validate(
        fhir_get(
            personas.client("doctor"), f"/fhir/Patient/{personas.patient.external_id}"
        ).data_json
    )
    assert [link.type for link in survivor.link] == ["replaces"]
    outsider = fhir_get(personas.client("outsider"), f"/fhir/Patient/{duplicate.external_id}")
    assert outsider.status_code == 404
