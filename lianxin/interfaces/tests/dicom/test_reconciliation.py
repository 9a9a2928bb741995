"""The reconciliation queue: a study that arrived without an order Lianxin could find is listed
for the imaging staff of the sending site and of the centre serving it, who attach it to its
exam order (audited; the order is then performed as on automatic linking). Anyone else gets a
404, and a wrong order a clear error that names it."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pydicom import dcmread
from rest_framework.test import APIClient

from lianxin.core.models import AuditEvent
from lianxin.core.workflow import Status
from lianxin.diagnostics.tests.helpers import order, performed
from lianxin.interfaces.dicom import ingest
from lianxin.interfaces.models import LinkStatus, Study
from lianxin.interfaces.tests.dicom.helpers import CT, relabel
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _arrive(entity, tmp_path, name=CT, **labels) -> Study:
    """A study stored through the C-STORE path, as the township's CT sent it."""
    path = relabel(name, tmp_path / f"{labels.get('accession', 'x')}.dcm", **labels)
    raw = path.read_bytes()
    ds = dcmread(BytesIO(raw), stop_before_pixels=True)
    ingest.store(
        raw,
        entity=entity,
        sop_class_uid=str(ds.SOPClassUID),
        sop_instance_uid=str(ds.SOPInstanceUID),
        transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
    )
    return Study.objects.get(study_uid=str(ds.StudyInstanceUID))


@pytest.fixture
def lost(devices, media, tmp_path) -> Study:
    """A CT of township A1 whose accession number was mistyped at the console."""
    study = _arrive(
        devices.ct, tmp_path, accession="CT9912310001", patient_id="A1-7788", study_date="20200101"
    )
    assert study.link_status == LinkStatus.UNMATCHED and study.order_id is None
    return study


def _attach_url(study) -> str:
    return reverse("interfaces:reconciliation-attach", kwargs={"id": study.external_id})


def test_the_centre_sees_the_lost_study_and_attaches_it_with_its_audit_row(personas, centre, lost):
    item = order(personas, "CT-CHEST")
    reader = _login(centre.resident)
    queue = reader.get(reverse("interfaces:reconciliation"))
    assert queue.status_code == 200
    assert "CT9912310001" in queue.content.decode() and "A1-7788" in queue.content.decode()
    page = reader.get(reverse("interfaces:reconciliation-study", kwargs={"id": lost.external_id}))
    assert page.status_code == 200 and item.accession_number in page.content.decode()

    response = reader.post(
        _attach_url(lost), {"order": str(item.external_id), "note": "工号输错"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("interfaces:reconciliation")
    assert "Images attached" in response.content.decode()
    lost.refresh_from_db()
    item.refresh_from_db()
    assert lost.link_status == LinkStatus.ATTACHED and lost.order_id == item.pk
    assert lost.patient_id == personas.patient.pk
    assert item.status == Status.IN_PROGRESS and item.business_status == "performed"
    assert item.image_count == 1 and item.study_uid == lost.study_uid
    event = AuditEvent.objects.get(action="interfaces.dicom.study.attach")
    assert event.actor_id == centre.resident.pk
    assert event.target_id == str(lost.external_id)
    assert event.after["order"] == str(item.external_id)
    assert event.after["accession_in_images"] == "CT9912310001"
    assert event.after["note"] == "工号输错" and event.before["link"] == LinkStatus.UNMATCHED
    assert item.transitions.filter(to_status=Status.IN_PROGRESS).exists()
    # Gone from the queue; the worklist of the centre no longer counts it.
    assert "CT9912310001" not in reader.get(reverse("interfaces:reconciliation")).content.decode()


def test_the_worklist_links_to_the_queue_while_something_waits(personas, centre, lost):
    reader = _login(centre.resident)
    text = reader.get(reverse("diagnostics:worklist")).content.decode()
    assert reverse("interfaces:reconciliation") in text
    assert "1 study arrived without a known order" in text


def test_another_community_neither_sees_nor_attaches_the_study(personas, centre, lost):
    item = order(personas, "CT-CHEST")
    outsider = _login(personas.outsider)
    queue = outsider.get(reverse("interfaces:reconciliation"))
    assert queue.status_code == 200 and "CT9912310001" not in queue.content.decode()
    detail = reverse("interfaces:reconciliation-study", kwargs={"id": lost.external_id})
    assert outsider.get(detail).status_code == 404
    assert outsider.post(_attach_url(lost), {"order": str(item.external_id)}).status_code == 404
    api = _api(personas.outsider)
    assert api.get("/api/imaging/reconciliation/").json()["results"] == []
    assert api.get(f"/api/imaging/reconciliation/{lost.external_id}/").status_code == 404
    answer = api.post(
        f"/api/imaging/reconciliation/{lost.external_id}/attach/",
        {"order": str(item.external_id)},
        format="json",
    )
    assert answer.status_code == 404
    lost.refresh_from_db()
    assert (
        lost.order_id is None
        and not AuditEvent.objects.filter(action="interfaces.dicom.study.attach").exists()
    )


def test_a_role_without_exams_is_refused_the_queue(personas, lost):
    assert _login(personas.commission).get(reverse("interfaces:reconciliation")).status_code == 403
    assert _login(personas.admin).get(reverse("interfaces:reconciliation")).status_code == 403


def test_an_order_of_another_community_is_not_found(personas, centre, lost):
    import datetime

    from lianxin.diagnostics import actions
    from lianxin.diagnostics.models import ExamItem, ServiceAgreement
    from lianxin.testing.factories import DepartmentFactory

    theirs = DepartmentFactory(
        institution=personas.county_b, code="YX", kind="shared_centre", centre_type="imaging"
    )
    ServiceAgreement.objects.create(
        site=personas.county_b,
        centre=theirs,
        centre_type="imaging",
        starts_on=datetime.date(2020, 1, 1),
    )
    patient = PatientFactory(name="王五")
    register_at(patient, personas.county_b)
    hidden = actions.do_order_exam(
        actor=personas.outsider, patient=patient, exam=ExamItem.objects.get(code="CT-CHEST")
    )
    for value in (str(hidden.external_id), "not-an-id"):
        response = _login(centre.resident).post(_attach_url(lost), {"order": value}, follow=True)
        assert "Not found." in response.content.decode()
    lost.refresh_from_db()
    hidden.refresh_from_db()
    assert lost.order_id is None and hidden.status == Status.REQUESTED


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p, c: order(p, "MR-HEAD"), "The images are CT; exam"),
        (lambda p, c: performed(p, c, "CT-CHEST"), "has already been performed or closed"),
    ],
    ids=["other-modality", "already-performed"],
)
def test_a_wrong_order_is_a_clear_error_and_nothing_changes(personas, centre, lost, make, message):
    item = make(personas, centre)
    before = item.status
    response = _login(centre.resident).post(
        _attach_url(lost), {"order": str(item.external_id)}, follow=True
    )
    text = response.content.decode()
    assert message in text and item.accession_number in text
    lost.refresh_from_db()
    item.refresh_from_db()
    assert lost.order_id is None and lost.link_status == LinkStatus.UNMATCHED
    assert item.status == before
    assert not AuditEvent.objects.filter(action="interfaces.dicom.study.attach").exists()


def test_images_of_a_known_patient_cannot_go_to_another_patients_order(
    personas, centre, devices, media, tmp_path
):
    # The images carry the patient's Lianxin number but an old date: no automatic match.
    study = _arrive(
        devices.ct,
        tmp_path,
        accession="",
        patient_id=str(personas.patient.external_id),
        study_date="20200101",
    )
    assert study.patient_id == personas.patient.pk and study.order_id is None
    other = PatientFactory(name="李四")
    register_at(other, personas.township_a)
    from lianxin.diagnostics import actions
    from lianxin.diagnostics.models import ExamItem

    wrong = actions.do_order_exam(
        actor=personas.doctor, patient=other, exam=ExamItem.objects.get(code="CT-CHEST")
    )
    answer = _api(centre.resident).post(
        f"/api/imaging/reconciliation/{study.external_id}/attach/",
        {"order": str(wrong.external_id)},
        format="json",
    )
    assert answer.status_code == 400
    assert "another patient" in answer.json()["order"][0]
    # The right order of the same patient is accepted over the API too.
    right = order(personas, "CT-CHEST")
    answer = _api(centre.resident).post(
        f"/api/imaging/reconciliation/{study.external_id}/attach/",
        {"order": str(right.external_id)},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["link_status"] == LinkStatus.ATTACHED
    assert answer.json()["order"] == str(right.external_id)


def test_the_second_attach_hears_that_the_study_is_already_linked(personas, centre, lost):
    first, second = order(personas, "CT-CHEST"), order(personas, "CT-HEAD")
    reader = _login(centre.resident)
    reader.post(_attach_url(lost), {"order": str(first.external_id)})
    response = reader.post(_attach_url(lost), {"order": str(second.external_id)}, follow=True)
    assert "already linked" in response.content.decode()
    second.refresh_from_db()
    assert second.status == Status.REQUESTED
    assert AuditEvent.objects.filter(action="interfaces.dicom.study.attach").count() == 1


def test_the_api_lists_the_queue_for_the_centre(personas, centre, lost):
    rows = _api(centre.resident).get("/api/imaging/reconciliation/").json()["results"]
    assert [row["id"] for row in rows] == [str(lost.external_id)]
    assert rows[0]["accession_number"] == "CT9912310001"
    assert rows[0]["source_ae_title"] == "CT_A1"
    assert AuditEvent.objects.filter(action="patient.list", actor=centre.resident).exists()


def test_another_name_in_the_images_needs_a_confirmation(
    personas, centre, devices, media, tmp_path
):
    study = _arrive(
        devices.ct,
        tmp_path,
        accession="CT0000000001",
        patient_id="ZY004711",
        patient_name="Chen^Guiying=陈^桂英",
        study_date="20200101",
    )
    item = order(personas, "CT-CHEST")  # 张三's
    reader = _login(centre.resident)
    response = reader.post(_attach_url(study), {"order": str(item.external_id)}, follow=True)
    assert "The images name 陈桂英" in response.content.decode()
    study.refresh_from_db()
    assert study.order_id is None
    reader.post(_attach_url(study), {"order": str(item.external_id), "other_name_confirmed": "on"})
    study.refresh_from_db()
    assert study.order_id == item.pk
    event = AuditEvent.objects.get(action="interfaces.dicom.study.attach")
    assert event.after["other_name_confirmed"] is True
