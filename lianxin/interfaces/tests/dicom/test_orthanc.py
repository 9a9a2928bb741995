"""Orthanc as the archive behind Lianxin: a stored instance is forwarded to a real Orthanc started
on 127.0.0.1, its local file released, and DICOMweb and C-GET read the pixels back from Orthanc
while Lianxin keeps the index and the access model."""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests
from dicomweb_client import DICOMwebClient
from pydicom import dcmread
from pydicom.data import get_testdata_file
from rest_framework.authtoken.models import Token

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces import tasks
from lianxin.interfaces.dicom import archive, ingest
from lianxin.interfaces.models import Instance
from lianxin.interfaces.tests.dicom.helpers import CT, relabel
from lianxin.testing import orthanc

pytestmark = pytest.mark.skipif(bool(orthanc.missing()), reason=orthanc.missing() or "-")

STUDY = "1.2.826.0.1.3680043.8.498.300"
SERIES = STUDY + ".1"


@pytest.fixture
def archive_server(tmp_path, settings):
    http_port, dicom_port = orthanc.free_port(), orthanc.free_port()
    with orthanc.running(tmp_path / "orthanc", http_port=http_port, dicom_port=dicom_port) as o:
        settings.ORTHANC_URL = o.url
        settings.ORTHANC_KEEP_FILES = False
        yield o


def _store(path, entity) -> Instance:
    ds = dcmread(path)
    return ingest.store(
        path.read_bytes(),
        entity=entity,
        sop_class_uid=str(ds.SOPClassUID),
        sop_instance_uid=str(ds.SOPInstanceUID),
        transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
    ).instance


def _ct(tmp_path, personas, name="ct.dcm"):
    item = order(personas, "CT-CHEST")
    return relabel(
        CT,
        tmp_path / name,
        accession=item.accession_number,
        study_uid=STUDY,
        series_uid=SERIES,
        instance_number=1,
    )


def test_a_stored_instance_is_forwarded_and_read_back_from_orthanc(
    archive_server, live_server, transactional_db, media, devices, personas, centre, tmp_path
):
    settings_url = archive_server.url
    instance = _store(_ct(tmp_path, personas), devices.ct)
    instance.refresh_from_db()
    # The task ran on commit (the test backend runs tasks at once): Orthanc has the instance.
    assert instance.archive_id
    held = orthanc.get_json(f"{settings_url}/instances/{instance.archive_id}")
    assert held["MainDicomTags"]["SOPInstanceUID"] == instance.sop_instance_uid
    # The pixels live in Orthanc now, not in Lianxin's storage.
    assert not (media / instance.file.name).exists()

    from django.conf import settings

    settings.DICOMWEB_BASE_URL = live_server.url
    token, _ = Token.objects.get_or_create(user=personas.doctor)
    client = DICOMwebClient(
        url=f"{live_server.url}/dicomweb", headers={"Authorization": f"Token {token.key}"}
    )
    got = client.retrieve_instance(STUDY, SERIES, instance.sop_instance_uid)
    original = dcmread(get_testdata_file(CT))
    assert np.array_equal(got.pixel_array, original.pixel_array)
    frames = client.retrieve_instance_frames(
        STUDY, SERIES, instance.sop_instance_uid, frame_numbers=[1]
    )
    assert frames == [original.PixelData]

    # Access stays Lianxin's: the outsider gets a 404 even though Orthanc holds the study.
    outsider, _ = Token.objects.get_or_create(user=personas.outsider)
    answer = requests.get(
        f"{live_server.url}/dicomweb/wado?requestType=WADO&studyUID={STUDY}&seriesUID={SERIES}"
        f"&objectUID={instance.sop_instance_uid}&contentType=application/dicom",
        headers={"Authorization": f"Token {outsider.key}"},
        timeout=30,
    )
    assert answer.status_code == 404


def test_while_orthanc_is_down_the_instance_stays_local_and_goes_later(
    transactional_db, media, devices, personas, centre, tmp_path, settings
):
    http_port, dicom_port = orthanc.free_port(), orthanc.free_port()
    settings.ORTHANC_URL = f"http://127.0.0.1:{http_port}"  # nothing listens there yet
    instance = _store(_ct(tmp_path, personas), devices.ct)
    instance.refresh_from_db()
    assert instance.archive_id == ""
    assert (media / instance.file.name).exists()
    assert dcmread(io.BytesIO(archive.read_instance(instance))).SOPInstanceUID == (
        instance.sop_instance_uid
    )

    with orthanc.running(tmp_path / "orthanc", http_port=http_port, dicom_port=dicom_port):
        assert tasks.forward_pending() == 1
        instance.refresh_from_db()
        assert instance.archive_id
        assert not (media / instance.file.name).exists()
        assert archive.read_dataset(instance).SOPInstanceUID == instance.sop_instance_uid
    # Orthanc gone and no local copy: the read is a clear "unavailable", not a crash.
    with pytest.raises(archive.Unavailable):
        archive.read_instance(instance)


def test_without_an_archive_configured_nothing_is_forwarded(
    transactional_db, media, devices, personas, centre, tmp_path, settings
):
    settings.ORTHANC_URL = ""
    instance = _store(_ct(tmp_path, personas), devices.ct)
    instance.refresh_from_db()
    assert instance.archive_id == "" and (media / instance.file.name).exists()
    assert tasks.forward_instance.call(instance.pk) == "no archive"
