"""Simulated 12-lead ECGs with a known rate (neurokit2's ECGSYN model for lead II, the other
leads derived from it), optionally with ST elevation in V2–V4 or an irregular rhythm like atrial
fibrillation. For the validation bench, the tests and the demo's tracings."""

from __future__ import annotations

import warnings

import numpy as np

from lianxin.diagnostics.ecg.signals_io import Waveform

# Precordial leads as scaled copies of lead II (amplitudes of a normal R-wave progression).
PRECORDIAL = {"V1": -0.5, "V2": 0.4, "V3": 0.8, "V4": 1.2, "V5": 1.1, "V6": 0.9}


def _leads(ii: np.ndarray) -> dict[str, np.ndarray]:
    i = 0.6 * ii
    iii = ii - i
    leads = {
        "I": i,
        "II": ii,
        "III": iii,
        "aVR": -(i + ii) / 2,
        "aVL": i - ii / 2,
        "aVF": ii - i / 2,
    }
    leads.update({name: factor * ii for name, factor in PRECORDIAL.items()})
    return leads


def _regular(heart_rate: float, duration: float, fs: int, noise: float, seed: int) -> np.ndarray:
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(
            nk.ecg_simulate(
                duration=duration,
                sampling_rate=fs,
                heart_rate=heart_rate,
                heart_rate_std=1,
                noise=noise,
                method="ecgsyn",
                random_state=seed,
            )
        )


def _irregular(heart_rate: float, duration: float, fs: int, noise: float, seed: int) -> np.ndarray:
    """Beats of one template at irregularly irregular intervals (mean rate ``heart_rate``)."""
    rng = np.random.default_rng(seed)
    template_source = _regular(60, 3, fs, 0.0, seed)
    r = int(np.argmax(template_source[fs : 2 * fs])) + fs
    beat = template_source[r - int(0.25 * fs) : r + int(0.55 * fs)]
    beat = beat - np.linspace(beat[0], beat[-1], len(beat))
    out = np.zeros(int(duration * fs))
    mean_rr = 60.0 / heart_rate
    t = 0.3
    while t < duration - 0.6:
        start = int(t * fs) - int(0.25 * fs)
        if start >= 0:
            out[start : start + len(beat)] += beat[: len(out) - start]
        t += float(rng.uniform(0.6, 1.4) * mean_rr)
    return out + rng.normal(0, noise, len(out))


def simulate(
    heart_rate: float = 75,
    *,
    duration: float = 10,
    sampling_rate: int = 500,
    noise: float = 0.01,
    seed: int = 1,
    af: bool = False,
    st_elevation_mv: float = 0.0,
) -> Waveform:
    ii = (_irregular if af else _regular)(heart_rate, duration, sampling_rate, noise, seed)
    leads = _leads(ii)
    if st_elevation_mv:
        import neurokit2 as nk

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, info = nk.ecg_peaks(nk.ecg_clean(ii, sampling_rate=sampling_rate), sampling_rate)
        bump = np.zeros_like(ii)
        width = int(0.32 * 60 / heart_rate * sampling_rate)
        for peak in info["ECG_R_Peaks"]:
            start = peak + int(0.04 * sampling_rate)
            end = min(start + width, len(ii))
            bump[start:end] = (
                st_elevation_mv * np.hanning(2 * width)[width // 2 : width // 2 + end - start]
            )
        for name in ("V2", "V3", "V4"):
            leads[name] = leads[name] + bump
    return Waveform(sampling_rate=float(sampling_rate), leads=leads)


def as_dicom(wave: Waveform, *, accession: str = "", patient_id: str = "") -> bytes:
    """The record as a DICOM 12-lead waveform: pydicom's bundled 12-lead file as the shell
    (its channel definitions, 1.25 µV per unit), with this signal, new UIDs and labels."""
    import io

    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    from lianxin.diagnostics.ecg.rules import LEADS

    ds = pydicom.dcmread(get_testdata_file("waveform_ecg.dcm"))
    group = ds.WaveformSequence[0]
    n = int(10 * wave.sampling_rate)
    samples = np.column_stack([wave.leads[name][:n] for name in LEADS])
    sensitivity = float(group.ChannelDefinitionSequence[0].ChannelSensitivity)
    group.SamplingFrequency = wave.sampling_rate
    group.NumberOfWaveformSamples = n
    group.WaveformData = np.round(samples * 1000 / sensitivity).astype("<i2").tobytes()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.AccessionNumber, ds.PatientID = accession, patient_id
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()
