"""The reading viewer's page, without a browser: what the order page hands the viewer (the
series and the WADO-URI address of each instance, the patient's prior study), the narrow
Content-Security-Policy exception it carries, and the way in from the patient page."""

from __future__ import annotations

import datetime
import json
import re
from io import BytesIO

import pytest
from pydicom import dcmread

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.dicom import ingest, samples

pytestmark = pytest.mark.django_db


def _images(entity, item, modality="CT", slices=1, date=datetime.date(2026, 12, 1)):
    labels = samples.Labels(
        patient_id="A1-000123",
        patient_name="ZHANG^SAN=张^三",
        accession=item.accession_number,
        study_date=date,
    )
    for raw in samples.series(modality, labels, slices=slices):
        ds = dcmread(BytesIO(raw))
        ingest.store(
            raw,
            entity=entity,
            sop_class_uid=str(ds.SOPClassUID),
            sop_instance_uid=str(ds.SOPInstanceUID),
            transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
        )
    return item


def _config(response) -> dict:
    match = re.search(
        r'<script id="lx-viewer-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "no viewer on the page"
    return json.loads(match.group(1))


def test_the_order_page_hands_the_viewer_its_series_and_the_prior_study(
    client, personas, centre, devices, media
):
    _images(devices.ct, order(personas, "CT-CHEST"), date=datetime.date(2026, 6, 1))
    item = _images(devices.ct, order(personas, "CT-CHEST"), slices=3)
    client.force_login(centre.resident)
    response = client.get(f"/diagnostics/orders/{item.external_id}/")
    config = _config(response)
    (study,) = config["current"]
    (series,) = study["series"]
    assert series["modality"] == "CT" and series["count"] == 3 and len(series["urls"]) == 3
    assert all(u.startswith("/dicomweb/wado?requestType=WADO&") for u in series["urls"])
    assert series["thumbnail"].startswith(f"/dicomweb/studies/{study['uid']}/series/")
    assert [p["date"] for p in config["priors"]] == ["2026-06-01"]
    assert {p["name"] for p in config["presets"]} == {
        "lung",
        "mediastinum",
        "bone",
        "brain",
        "abdomen",
    }
    # Every address the viewer will load answers the reader.
    assert client.get(series["urls"][0]).status_code == 200
    assert client.get(series["thumbnail"]).status_code == 200
    # The one exception to the site's policy: the empty style attribute dwv sets.
    policy = response["Content-Security-Policy"]
    assert "'unsafe-hashes' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='" in policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert "wasm-unsafe-eval" not in policy
    assert directives["worker-src"] == "'self'"


def test_an_order_without_images_has_no_viewer_and_the_plain_policy(client, personas, centre):
    item = order(personas, "CT-CHEST")
    client.force_login(centre.resident)
    response = client.get(f"/diagnostics/orders/{item.external_id}/")
    assert response.status_code == 200
    assert b"lx-viewer-config" not in response.content
    assert "unsafe-hashes" not in response["Content-Security-Policy"]


def test_the_patient_page_results_lead_to_the_images(client, personas, centre, devices, media):
    item = _images(devices.ct, order(personas, "CT-CHEST"))
    client.force_login(personas.doctor)
    page = client.get(f"/patients/{personas.patient.external_id}/").content.decode()
    assert f"/diagnostics/orders/{item.external_id}/#images" in page


def test_an_outsider_gets_neither_the_page_nor_the_images(client, personas, centre, devices, media):
    item = _images(devices.ct, order(personas, "CT-CHEST"))
    client.force_login(centre.resident)
    url = _config(client.get(f"/diagnostics/orders/{item.external_id}/"))["current"][0]
    wado = url["series"][0]["urls"][0]
    client.force_login(personas.outsider)
    assert client.get(f"/diagnostics/orders/{item.external_id}/").status_code == 404
    assert client.get(wado).status_code == 404
