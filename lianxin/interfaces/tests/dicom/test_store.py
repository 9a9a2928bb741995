"""C-ECHO and C-STORE driven by dcmtk's echoscu and storescu with pydicom's bundled files."""

from __future__ import annotations

from pydicom import dcmread
from pynetdicom import AE

from lianxin.core.models import AuditEvent
from lianxin.core.workflow import Status
from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.dicom.signals import instance_stored
from lianxin.interfaces.models import Instance, LinkStatus, Study
from lianxin.interfaces.tests.dicom.helpers import CT, ECG, MR, SERVER_AE, dcmtk, relabel, storescu


def test_a_registered_township_ct_is_answered_and_an_unknown_ae_is_refused(dicom_port, devices):
    ok = dcmtk("echoscu", port=dicom_port, aet="CT_A1")
    assert ok.returncode == 0, ok.stderr

    refused = dcmtk("echoscu", "-v", port=dicom_port, aet="STRANGER")
    assert refused.returncode != 0
    text = refused.stdout + refused.stderr
    assert "Association Rejected" in text
    assert "Calling AE Title Not Recognized" in text


def test_an_ae_switched_off_in_the_registry_is_refused_from_its_next_association(
    dicom_port, devices
):
    devices.ct.is_active = False
    devices.ct.save()
    refused = dcmtk("echoscu", "-v", port=dicom_port, aet="CT_A1")
    assert "Calling AE Title Not Recognized" in refused.stdout + refused.stderr


def test_a_ct_sent_with_its_accession_is_linked_and_the_order_is_performed(
    dicom_port, devices, personas, centre, tmp_path
):
    item = order(personas, "CT-CHEST")
    study_uid = "1.2.826.0.1.3680043.8.498.1"
    files = [
        relabel(
            CT,
            tmp_path / f"ct{i}.dcm",
            accession=item.accession_number,
            patient_id="anything",
            study_uid=study_uid,
            series_uid=study_uid + ".1",
            instance_number=i,
        )
        for i in range(1, 4)
    ]
    seen = []

    def receiver(sender, instance, study, sop_class_uid, **kwargs):
        seen.append((instance.sop_instance_uid, study.study_uid, sop_class_uid))

    instance_stored.connect(receiver)
    try:
        result = storescu(dicom_port, "CT_A1", *files)
    finally:
        instance_stored.disconnect(receiver)
    assert result.returncode == 0, result.stderr

    study = Study.objects.get(study_uid=study_uid)
    assert study.link_status == LinkStatus.ACCESSION
    assert study.order_id == item.pk and study.patient_id == personas.patient.pk
    assert (study.series_count, study.instance_count, study.modalities) == (1, 3, "CT")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and item.business_status == "performed"
    assert item.image_count == 3 and item.study_uid == study_uid
    assert len(seen) == 3 and {s[1] for s in seen} == {study_uid}
    stored = Instance.objects.filter(series__study=study).first()
    with stored.file.open("rb") as handle:
        assert dcmread(handle).SOPInstanceUID == stored.sop_instance_uid
    assert AuditEvent.objects.filter(
        action="interfaces.dicom.study.receive", actor_label="dicom:CT_A1"
    ).exists()
    assert item.transitions.filter(to_status=Status.IN_PROGRESS).exists()


def test_the_same_instance_sent_twice_is_stored_once(
    dicom_port, devices, personas, centre, tmp_path
):
    item = order(personas, "CT-HEAD")
    path = relabel(CT, tmp_path / "ct.dcm", accession=item.accession_number)
    seen = []
    instance_stored.connect(
        lambda **kw: seen.append(kw["instance"].pk), weak=False, dispatch_uid="dup-test"
    )
    try:
        first = storescu(dicom_port, "CT_A1", path)
        second = storescu(dicom_port, "CT_A1", path)
    finally:
        instance_stored.disconnect(dispatch_uid="dup-test")
    assert first.returncode == 0 and second.returncode == 0
    assert Instance.objects.count() == 1 and len(seen) == 1
    assert Study.objects.get().instance_count == 1
    assert len(list((tmp_path / "media").rglob("*.dcm"))) == 1


def test_a_12_lead_ecg_waveform_is_stored_and_indexed_like_an_image(
    dicom_port, devices, personas, centre, tmp_path
):
    item = order(personas, "ECG-12")
    path = relabel(ECG, tmp_path / "ecg.dcm", accession=item.accession_number)
    seen = []
    instance_stored.connect(
        lambda **kw: seen.append(kw["sop_class_uid"]), weak=False, dispatch_uid="ecg-test"
    )
    try:
        result = storescu(dicom_port, "ECG_A1", path)
    finally:
        instance_stored.disconnect(dispatch_uid="ecg-test")
    assert result.returncode == 0, result.stderr
    stored = Instance.objects.get()
    assert stored.sop_class_uid == "1.2.840.10008.5.1.4.1.1.9.1.1"
    assert seen == ["1.2.840.10008.5.1.4.1.1.9.1.1"]
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and stored.series.study.order_id == item.pk


def test_an_unknown_accession_goes_to_the_reconciliation_queue(
    dicom_port, devices, personas, centre, tmp_path
):
    path = relabel(MR, tmp_path / "mr.dcm", accession="NOSUCH0001", patient_id="UNKNOWN-9")
    result = storescu(dicom_port, "CT_A1", path)
    assert result.returncode == 0, result.stderr
    study = Study.objects.get()
    assert study.link_status == LinkStatus.UNMATCHED and study.order_id is None
    assert study.source_institution_id == personas.township_a.pk


def test_a_study_without_accession_is_matched_by_patient_day_and_modality(
    dicom_port, devices, personas, centre, tmp_path
):
    item = order(personas, "MR-HEAD")
    from django.utils import timezone

    today = timezone.localdate().strftime("%Y%m%d")
    path = relabel(
        MR, tmp_path / "mr.dcm", patient_id=str(personas.patient.external_id), study_date=today
    )
    result = storescu(dicom_port, "CT_A1", path)
    assert result.returncode == 0, result.stderr
    study = Study.objects.get()
    assert study.link_status == LinkStatus.MATCHED and study.order_id == item.pk


def test_a_dataset_without_its_study_uid_is_refused_and_nothing_is_stored(
    dicom_port, devices, personas, centre, tmp_path
):
    path = relabel(CT, tmp_path / "bad.dcm")
    ds = dcmread(path)
    del ds.StudyInstanceUID
    ds.save_as(path)
    result = storescu(dicom_port, "CT_A1", path)
    text = result.stdout + result.stderr
    assert result.returncode != 0 or "Error" in text or "0xc000" in text.lower()
    assert not Instance.objects.exists() and not Study.objects.exists()
    assert not list((tmp_path / "media").rglob("*.dcm"))


def test_a_truncated_dataset_gets_a_failure_status_and_nothing_half_stored(
    dicom_port, devices, personas, centre, tmp_path
):
    path = relabel(CT, tmp_path / "cut.dcm")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 4000])
    ae = AE(ae_title="CT_A1")
    ae.add_requested_context("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.1")
    assoc = ae.associate("127.0.0.1", dicom_port, ae_title=SERVER_AE)
    assert assoc.is_established
    try:
        # pynetdicom streams the file as it is, without decoding it first.
        status = assoc.send_c_store(path)
    finally:
        assoc.release()
    assert status.Status >= 0xA000
    assert not Instance.objects.exists() and not Study.objects.exists()
    assert not list((tmp_path / "media").rglob("*.dcm"))
