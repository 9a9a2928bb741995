"""12-lead ECGs: pydicom's bundled 12-lead waveform and a WFDB record uploaded on the order,
measured with neurokit2, drawn on the standard grid; flags raise the priority and propose a
critical result that only the reader confirms; simulated records validate the rate."""

from __future__ import annotations

import io
import zipfile
from functools import cache

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from lianxin.core.models import AuditEvent
from lianxin.diagnostics.ecg import rules
from lianxin.diagnostics.ecg.actions import do_decide_ecg_proposal, do_record_ecg
from lianxin.diagnostics.ecg.analysis import analyse
from lianxin.diagnostics.ecg.models import EcgRecording
from lianxin.diagnostics.ecg.simulate import as_dicom, simulate, simulate_known
from lianxin.diagnostics.models import CriticalResult
from lianxin.diagnostics.tests.helpers import order

DICOM_ECG = get_testdata_file("waveform_ecg.dcm")


@cache
def simulated(**kwargs):
    return simulate(**kwargs)


def wfdb_zip(wave, tmp_path) -> bytes:
    import wfdb

    signal = np.column_stack([wave.leads[n] for n in rules.LEADS])
    wfdb.wrsamp(
        "sim",
        fs=int(wave.sampling_rate),
        units=["mV"] * 12,
        sig_name=list(rules.LEADS),
        p_signal=signal,
        fmt=["16"] * 12,
        write_dir=str(tmp_path),
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in ("sim.hea", "sim.dat"):
            z.write(tmp_path / name, name)
    return out.getvalue()


def test_the_township_doctor_uploads_the_bundled_dicom_12_lead_and_the_reader_sees_the_tracing(
    client, personas, centre
):
    item = order(personas, "ECG-12")
    client.force_login(personas.doctor)
    with open(DICOM_ECG, "rb") as f:
        response = client.post(
            f"/diagnostics/orders/{item.external_id}/ecg/upload/", {"file": f}, follow=True
        )
    assert "ECG recorded and measured." in response.content.decode()
    recording = EcgRecording.objects.get(order=item)
    assert (recording.source, recording.sampling_rate, recording.duration_s) == ("dicom", 1000, 10)
    assert 40 < recording.heart_rate < 120
    assert set(recording.st_mv) == set(rules.LEADS)
    item.refresh_from_db()
    assert item.business_status == "performed"
    client.force_login(centre.attending)
    page = client.get(f"/diagnostics/orders/{item.external_id}/ecg/").content.decode()
    # 12 lead segments, the rhythm strip and 4 calibration pulses on the grid.
    assert page.count('class="trace"') == 17
    assert "25 mm/s · 10 mm/mV" in page and "QTc (Fridericia)" in page
    assert AuditEvent.objects.filter(action="diagnostics.ecg.record").exists()


def test_a_wfdb_record_is_read_and_its_rate_measured_within_two_beats(
    client, personas, centre, tmp_path
):
    item = order(personas, "ECG-12")
    client.force_login(personas.doctor)
    upload = io.BytesIO(wfdb_zip(simulated(heart_rate=75), tmp_path))
    upload.name = "sim.zip"
    client.post(f"/diagnostics/orders/{item.external_id}/ecg/upload/", {"file": upload})
    recording = EcgRecording.objects.get(order=item)
    assert recording.source == "wfdb"
    assert abs(recording.heart_rate - 75) <= 2
    assert recording.flags == []


def test_a_file_that_is_no_ecg_is_refused_with_a_message_and_nothing_is_stored(
    client, personas, centre
):
    item = order(personas, "ECG-12")
    client.force_login(personas.doctor)
    upload = io.BytesIO(b"not an ecg at all")
    upload.name = "x.txt"
    response = client.post(
        f"/diagnostics/orders/{item.external_id}/ecg/upload/", {"file": upload}, follow=True
    )
    assert "Upload a DICOM ECG waveform" in response.content.decode()
    assert not EcgRecording.objects.exists()


def test_st_elevation_raises_the_priority_and_only_the_reader_makes_it_a_critical_result(
    personas, centre
):
    item = order(personas, "ECG-12")
    data = simulated(heart_rate=75, st_elevation_mv=0.25)
    recording = do_record_ecg(order=item, data=as_dicom(data), actor=personas.doctor)
    assert recording.flags == ["st"] and recording.proposal == "proposed"
    item.refresh_from_db()
    assert (item.priority, item.priority_rank, item.has_critical) == ("stat", 0, True)
    assert not CriticalResult.objects.exists()  # the machine does not report by itself
    with pytest.raises(Exception, match="Only the ECG centre"):
        do_decide_ecg_proposal(actor=personas.doctor, recording=recording, confirm=True)
    do_decide_ecg_proposal(actor=centre.attending, recording=recording, confirm=True)
    result = CriticalResult.objects.get(order=item)
    assert "ST段抬高" in result.finding and "Universal Definition" in result.source


def test_an_irregular_rhythm_is_flagged_as_suspected_af_and_the_reader_may_dismiss_it(
    personas, centre
):
    item = order(personas, "ECG-12")
    recording = do_record_ecg(
        order=item, data=as_dicom(simulated(heart_rate=90, af=True)), actor=personas.doctor
    )
    assert "af" in recording.flags
    do_decide_ecg_proposal(actor=centre.attending, recording=recording, confirm=False)
    recording.refresh_from_db()
    assert recording.proposal == "dismissed" and recording.decided_by == centre.attending
    assert not CriticalResult.objects.exists()


def test_an_ecg_of_another_county_is_not_found(client, personas, centre):
    item = order(personas, "ECG-12")
    client.force_login(personas.outsider)
    assert client.get(f"/diagnostics/orders/{item.external_id}/ecg/").status_code == 404


@pytest.mark.parametrize("rate", [40, 110, 180])
def test_the_measured_rate_of_noisy_simulated_records_is_within_two_beats(rate):
    m = analyse(simulated(heart_rate=rate, noise=0.05, seed=rate))
    assert abs(m.heart_rate - rate) <= 2


@pytest.mark.parametrize(
    ("rate", "noise", "wander"),
    [
        (40, 0.0, 0.0),
        (75, 0.0, 0.0),
        (120, 0.0, 0.0),
        (180, 0.0, 0.0),
        (60, 0.02, 0.05),
        (100, 0.02, 0.05),
        (150, 0.02, 0.05),
    ],
)
def test_qrs_and_qt_are_within_20_ms_of_a_simulated_record_with_known_intervals(
    rate, noise, wander
):
    wave, truth = simulate_known(rate, noise=noise, wander=wander, seed=rate)
    m = analyse(wave)
    assert abs(m.heart_rate - rate) <= 2
    assert abs(m.qrs_ms - truth.qrs_ms) <= 20, (m.qrs_ms, truth.qrs_ms)
    assert abs(m.qt_ms - truth.qt_ms) <= 20, (m.qt_ms, truth.qt_ms)


def test_the_known_interval_simulator_places_its_waves_where_it_says():
    wave, truth = simulate_known(75, noise=0.0)
    fs = int(wave.sampling_rate)
    onset = truth.qrs_onsets[2]
    v6 = wave.leads["V6"]  # qR: the Q wave starts the QRS
    assert np.all(v6[onset - 10 : onset - 1] == 0) and v6[onset + 3] < 0
    end = onset + round(truth.qt_ms * fs / 1000)
    ii = wave.leads["II"]
    assert ii[end - 5] > 0 and np.all(ii[end + 1 : end + 10] == 0)
    assert abs(ii[onset + round(truth.qrs_ms * fs / 1000) + 1]) < 1e-12  # the ST segment is flat


def test_the_report_pdf_carries_the_tracing_on_an_a4_landscape_page(personas, centre):
    from pypdf import PdfReader

    from lianxin.core.pdf import FontUnavailable, find_font
    from lianxin.diagnostics.printing import build_report_pdf

    try:
        find_font()
    except FontUnavailable:
        pytest.skip("no Chinese font (apt-get install fonts-wqy-microhei)")
    item = order(personas, "ECG-12")
    with open(DICOM_ECG, "rb") as f:
        do_record_ecg(order=item, data=f.read(), actor=personas.doctor)
    pages = PdfReader(io.BytesIO(build_report_pdf(item))).pages
    assert len(pages) == 2
    landscape = pages[1].mediabox
    assert (
        round(float(landscape.width) / 72 * 25.4),
        round(float(landscape.height) / 72 * 25.4),
    ) == (297, 210)
    assert "十二导联心电图" in pages[1].extract_text()


def test_village_ecg_coverage_counts_clinics_that_sent_an_ecg_in_the_last_30_days(
    client, personas, centre
):
    from lianxin.diagnostics.ecg.queries import village_coverage
    from lianxin.network.models import Institution, Tier

    villages = list(Institution.objects.filter(tier=Tier.VILLAGE))
    assert villages, "the personas include village clinics"
    item = order(personas, "ECG-12")
    with open(DICOM_ECG, "rb") as f:
        do_record_ecg(order=item, data=f.read(), actor=personas.doctor, site_id=villages[0].pk)
    coverage = village_coverage()
    assert (coverage.covered, coverage.villages) == (1, len(villages))
    client.force_login(personas.commission)
    page = client.get("/diagnostics/figures/").content.decode()
    assert f"1 of {len(villages)} village clinics sent an ECG in the last 30 days" in page
