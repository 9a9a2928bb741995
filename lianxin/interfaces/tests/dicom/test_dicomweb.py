"""DICOMweb against a live server on 127.0.0.1, read with the ``dicomweb-client`` library: QIDO-RS
search, WADO-RS instances, frames, rendered images and metadata, WADO-URI, and the access model
(an outsider's 404) and audit on every one."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pytest
import requests
from dicomweb_client import DICOMwebClient
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file
from rest_framework.authtoken.models import Token

from lianxin.core.models import AuditEvent
from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.dicom import ingest
from lianxin.interfaces.models import Study
from lianxin.interfaces.tests.dicom.helpers import CT, MR, relabel

STUDY = "1.2.826.0.1.3680043.8.498.100"
CT_SERIES = STUDY + ".1"
MR_SERIES = STUDY + ".2"


@dataclass
class Stored:
    study: Study
    ct: list[str]  # SOP Instance UIDs of the CT slices, instance numbers 1..3
    mr: str


def _store(path, entity):
    raw = path.read_bytes()
    ds = dcmread(path)
    return ingest.store(
        raw,
        entity=entity,
        sop_class_uid=str(ds.SOPClassUID),
        sop_instance_uid=str(ds.SOPInstanceUID),
        transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
    ).instance


@pytest.fixture
def stored(transactional_db, media, devices, personas, centre, tmp_path) -> Stored:
    item = order(personas, "CT-CHEST")
    common = {"accession": item.accession_number, "study_uid": STUDY, "study_date": "20261201"}
    ct = [
        _store(
            relabel(
                CT,
                tmp_path / f"ct{i}.dcm",
                series_uid=CT_SERIES,
                instance_number=i,
                patient_name="ZHANG^SAN=张^三",
                **common,
            ),
            devices.ct,
        ).sop_instance_uid
        for i in (1, 2, 3)
    ]
    mr = _store(
        relabel(MR, tmp_path / "mr.dcm", series_uid=MR_SERIES, instance_number=1, **common),
        devices.ct,
    ).sop_instance_uid
    return Stored(Study.objects.get(study_uid=STUDY), ct, mr)


@pytest.fixture(autouse=True)
def base_url(settings, live_server):
    # dicomweb-client sends the Host header without the port: say where the server is.
    settings.DICOMWEB_BASE_URL = live_server.url


def _client(live_server, user) -> DICOMwebClient:
    token, _ = Token.objects.get_or_create(user=user)
    return DICOMwebClient(
        url=f"{live_server.url}/dicomweb", headers={"Authorization": f"Token {token.key}"}
    )


def _token_get(live_server, user, path, **kwargs):
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}", **kwargs.pop("headers", {})}
    return requests.get(f"{live_server.url}{path}", headers=headers, timeout=30, **kwargs)


def test_qido_rs_finds_the_study_its_series_and_instances(live_server, stored, personas):
    client = _client(live_server, personas.doctor)
    studies = client.search_for_studies(search_filters={"PatientName": "张*"})
    assert [s["0020000D"]["Value"][0] for s in studies] == [STUDY]
    found = studies[0]
    assert found["00080061"]["Value"] == ["CT", "MR"]
    assert found["00201208"]["Value"] == [4]
    assert found["00100010"]["Value"][0]["Ideographic"] == "张^三"
    assert found["00081190"]["Value"][0].endswith(f"/dicomweb/studies/{STUDY}")

    assert client.search_for_studies(search_filters={"StudyDate": "20261201-20261202"})
    assert client.search_for_studies(search_filters={"ModalitiesInStudy": "MR"})
    assert client.search_for_studies(search_filters={"StudyDate": "20250101-20250102"}) == []

    series = client.search_for_series(study_instance_uid=STUDY)
    assert {s["0020000E"]["Value"][0]: s["00080060"]["Value"][0] for s in series} == {
        CT_SERIES: "CT",
        MR_SERIES: "MR",
    }
    only_ct = client.search_for_series(search_filters={"Modality": "CT"})
    assert [s["0020000E"]["Value"][0] for s in only_ct] == [CT_SERIES]

    instances = client.search_for_instances(study_instance_uid=STUDY, series_instance_uid=CT_SERIES)
    assert [i["00080018"]["Value"][0] for i in instances] == stored.ct
    assert instances[0]["00280010"]["Value"] == [128]
    page = client.search_for_instances(
        study_instance_uid=STUDY, series_instance_uid=CT_SERIES, limit=2, offset=1
    )
    assert [i["00080018"]["Value"][0] for i in page] == stored.ct[1:]

    search = AuditEvent.objects.filter(action="patient.list", after__channel="dicomweb").first()
    assert search.actor == personas.doctor
    assert search.after["patients"] == [str(personas.patient.external_id)]


def test_wado_rs_gives_the_instances_as_stored(live_server, stored, personas):
    client = _client(live_server, personas.doctor)
    instance = client.retrieve_instance(STUDY, CT_SERIES, stored.ct[0])
    assert instance.SOPInstanceUID == stored.ct[0]
    assert instance.pixel_array.shape == (128, 128)
    original = dcmread(get_testdata_file(CT))
    assert np.array_equal(instance.pixel_array, original.pixel_array)

    series = client.retrieve_series(STUDY, CT_SERIES)
    assert sorted(ds.SOPInstanceUID for ds in series) == sorted(stored.ct)
    study = client.retrieve_study(STUDY)
    assert len(study) == 4

    read = AuditEvent.objects.filter(action="patient.read", after__channel="dicomweb")
    # One read row per user and study, not one per instance fetched.
    assert read.count() == 1
    row = read.get()
    assert row.target_id == str(personas.patient.external_id) and row.actor == personas.doctor
    assert row.after["study_uid"] == STUDY


def test_wado_rs_gives_frames_rendered_images_and_metadata(live_server, stored, personas):
    client = _client(live_server, personas.doctor)
    frames = client.retrieve_instance_frames(STUDY, CT_SERIES, stored.ct[0], frame_numbers=[1])
    original = dcmread(get_testdata_file(CT))
    assert frames == [original.PixelData]

    jpeg = client.retrieve_instance_rendered(STUDY, CT_SERIES, stored.ct[0])
    picture = Image.open(io.BytesIO(jpeg))
    assert picture.format == "JPEG" and picture.size == (128, 128)
    assert np.asarray(picture).std() > 10  # image content, not a flat picture

    png = client.retrieve_instance_rendered(
        STUDY, MR_SERIES, stored.mr, media_types=("image/png",), params={"window": "600,1200"}
    )
    assert Image.open(io.BytesIO(png)).format == "PNG"
    lung = client.retrieve_instance_frames_rendered(
        STUDY, CT_SERIES, stored.ct[0], frame_numbers=[1], params={"window": "-600,1500"}
    )
    bone = client.retrieve_instance_frames_rendered(
        STUDY, CT_SERIES, stored.ct[0], frame_numbers=[1], params={"window": "400,1800"}
    )
    assert lung != bone

    metadata = client.retrieve_instance_metadata(STUDY, CT_SERIES, stored.ct[0])
    assert metadata["00080018"]["Value"] == [stored.ct[0]]
    pixel_uri = metadata["7FE00010"]["BulkDataURI"]
    assert client.retrieve_bulkdata(pixel_uri) == [original.PixelData]
    series_metadata = client.retrieve_series_metadata(STUDY, CT_SERIES)
    assert len(series_metadata) == 3


def test_wado_uri_gives_the_plain_instance_file(live_server, stored, personas):
    path = (
        f"/dicomweb/wado?requestType=WADO&studyUID={STUDY}&seriesUID={CT_SERIES}"
        f"&objectUID={stored.ct[1]}&contentType=application/dicom"
    )
    answer = _token_get(live_server, personas.doctor, path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/dicom"
    assert dcmread(io.BytesIO(answer.content)).SOPInstanceUID == stored.ct[1]

    # The browser viewer reads it with the signed-in session.
    browser = personas.client("doctor")
    assert browser.get(path).status_code == 200
    picture = browser.get(path.replace("application/dicom", "image/png"))
    assert picture["Content-Type"] == "image/png"


def test_an_outsider_finds_nothing_and_gets_404_for_every_uid(live_server, stored, personas):
    client = _client(live_server, personas.outsider)
    assert client.search_for_studies() == []
    assert client.search_for_instances() == []
    paths = [
        f"/dicomweb/studies/{STUDY}",
        f"/dicomweb/studies/{STUDY}/series",
        f"/dicomweb/studies/{STUDY}/metadata",
        f"/dicomweb/studies/{STUDY}/series/{CT_SERIES}/instances/{stored.ct[0]}",
        f"/dicomweb/studies/{STUDY}/series/{CT_SERIES}/instances/{stored.ct[0]}/frames/1",
        f"/dicomweb/studies/{STUDY}/series/{CT_SERIES}/instances/{stored.ct[0]}/rendered",
        f"/dicomweb/wado?requestType=WADO&studyUID={STUDY}&seriesUID={CT_SERIES}"
        f"&objectUID={stored.ct[0]}&contentType=application/dicom",
    ]
    for path in paths:
        answer = _token_get(live_server, personas.outsider, path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert "not found" in answer.json()["detail"]
    assert not AuditEvent.objects.filter(action="patient.read", actor=personas.outsider).exists()
    # The health commission sees aggregates, never a study.
    assert _client(live_server, personas.commission).search_for_studies() == []


def test_unknown_uids_are_404_and_bad_parameters_400(live_server, stored, personas):
    doctor = personas.doctor
    base = f"/dicomweb/studies/{STUDY}/series/{CT_SERIES}/instances/{stored.ct[0]}"
    expect = {
        "/dicomweb/studies/1.2.3.4": 404,
        f"/dicomweb/studies/{STUDY}/series/1.2.3": 404,
        f"/dicomweb/studies/{STUDY}/series/{CT_SERIES}/instances/1.2.3": 404,
        f"{base}/frames/2": 404,
        f"{base}/frames/one": 400,
        f"{base}/rendered?window=40": 400,
        f"{base}/rendered?viewport=0,0": 400,
        "/dicomweb/studies?StudyDate=yesterday": 400,
        "/dicomweb/studies?NoSuchAttribute=1": 400,
        "/dicomweb/studies?Modality=CT&SOPInstanceUID=1.2": 400,
        "/dicomweb/studies?limit=-1": 400,
        "/dicomweb/studies?StudyInstanceUID=abc": 400,
        "/dicomweb/studies?includefield=Nonsense": 400,
        "/dicomweb/wado?studyUID=1&seriesUID=2&objectUID=3": 400,
        f"/dicomweb/wado?requestType=WADO&studyUID={STUDY}&seriesUID={CT_SERIES}": 400,
        "/dicomweb/wado?requestType=WADO&studyUID=1&seriesUID=2&objectUID=3&contentType=x/y": 400,
        "/dicomweb/wado?requestType=WADO&studyUID=1.2&seriesUID=2.3&objectUID=3.4": 404,
    }
    got = {path: _token_get(live_server, doctor, path).status_code for path in expect}
    assert got == expect
    answer = _token_get(live_server, doctor, "/dicomweb/studies?StudyDate=yesterday")
    assert "StudyDate" in answer.json()["detail"] or "date" in answer.json()["detail"]
    wrong = _token_get(
        live_server, doctor, f"{base}", headers={"Accept": "application/zip"}
    ).status_code
    assert wrong == 406


def test_an_anonymous_request_is_asked_to_authenticate(live_server, stored):
    answer = requests.get(f"{live_server.url}/dicomweb/studies", timeout=30)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Token"
