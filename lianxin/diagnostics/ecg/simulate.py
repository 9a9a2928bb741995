"""Simulated 12-lead ECGs with a known rate (neurokit2's ECGSYN model for lead II, the other
leads derived from it), optionally with ST elevation in V2–V4 or an irregular rhythm like atrial
fibrillation. For the validation bench, the tests and the demo's tracings."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

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


# --- Records with known intervals -------------------------------------------------------------
#
# Every wave is a raised-cosine (Hann) bump with compact support, so its onset and end are
# exact sample positions. The limb leads follow Einthoven's and Goldberger's relations from
# leads I and II; each precordial lead has its own amplitudes (rS in V1, RS in V3, qR in V6).
# The intervals are global, as IEC 60601-2-25 measures them over all leads at once: the QRS
# begins at the Q wave of the leads that have one and ends with the S wave, and the T wave ends
# together in every lead.

#: (P, Q, R, S, T) amplitudes in mV of leads I and II and the precordial leads.
KNOWN_AMPLITUDES = {
    "I": (0.08, -0.06, 0.6, -0.08, 0.2),
    "II": (0.15, -0.1, 1.0, -0.2, 0.3),
    "V1": (0.08, 0.0, 0.25, -0.9, -0.1),
    "V2": (0.08, 0.0, 0.45, -1.1, 0.35),
    "V3": (0.08, 0.0, 0.8, -0.8, 0.45),
    "V4": (0.08, -0.05, 1.3, -0.45, 0.45),
    "V5": (0.08, -0.08, 1.2, -0.3, 0.35),
    "V6": (0.08, -0.08, 1.0, -0.2, 0.3),
}
#: Where the Q, R and S waves lie within the QRS, as fractions of its duration.
QRS_PARTS = {"Q": (0.0, 0.3), "R": (0.15, 0.7), "S": (0.55, 1.0)}


@dataclass
class KnownIntervals:
    """The true intervals (ms) of a simulated record and its QRS onsets (sample index)."""

    heart_rate: float
    pr_ms: float
    qrs_ms: float
    qt_ms: float
    qrs_onsets: list[int] = field(default_factory=list)


def known_intervals(heart_rate: float, qrs_ms: float = 100.0) -> tuple[float, float]:
    """PR and QT (ms) for a rate: QT from a QTc of 400 ms (Bazett), PR shortening from 160 ms
    at 60 bpm to 110 ms at 180 bpm so the P wave stays clear of the preceding T wave."""
    rr = 60.0 / heart_rate
    qt = 400.0 * rr**0.5
    pr = float(np.clip(160.0 - (heart_rate - 60.0) * 50.0 / 120.0, 110.0, 160.0))
    return pr, qt


def _bump(t: np.ndarray, start: float, end: float, peak_at: float = 0.5) -> np.ndarray:
    """A raised-cosine bump on [start, end] (seconds), 1 at its peak, 0 outside; ``peak_at``
    (fraction of the width) makes it asymmetric."""
    out = np.zeros_like(t)
    peak = start + peak_at * (end - start)
    rise = (t >= start) & (t < peak)
    fall = (t >= peak) & (t <= end)
    out[rise] = 0.5 - 0.5 * np.cos(np.pi * (t[rise] - start) / (peak - start))
    out[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - peak) / (end - peak))
    return out


def simulate_known(
    heart_rate: float = 75,
    *,
    duration: float = 10,
    sampling_rate: int = 500,
    qrs_ms: float = 100.0,
    noise: float = 0.0,
    wander: float = 0.0,
    seed: int = 1,
) -> tuple[Waveform, KnownIntervals]:
    """A regular 12-lead record whose PR, QRS and QT are known exactly. ``noise`` is the
    standard deviation (mV) of white noise added to each lead, ``wander`` the amplitude (mV) of
    a baseline wander of two slow sinusoids (0.15–0.5 Hz, respiration-like)."""
    rng = np.random.default_rng(seed)
    pr_ms, qt_ms = known_intervals(heart_rate, qrs_ms)
    fs = sampling_rate
    n = int(duration * fs)
    t = np.arange(n) / fs
    rr = 60.0 / heart_rate
    pr, qrs, qt = pr_ms / 1000, qrs_ms / 1000, qt_ms / 1000
    p_width = min(0.1, 0.8 * pr)
    t_start = qrs + 0.3 * (qt - qrs)
    shapes = {name: np.zeros(n) for name in "PQRST"}
    onsets = []
    onset = pr + 0.05
    while onset + qt < duration - 0.05:
        onsets.append(round(onset * fs))
        shapes["P"] += _bump(t, onset - pr, onset - pr + p_width)
        for part, (a, b) in QRS_PARTS.items():
            shapes[part] += _bump(t, onset + a * qrs, onset + b * qrs)
        shapes["T"] += _bump(t, onset + t_start, onset + qt, peak_at=0.62)
        onset += rr
    base = {
        name: sum(amp * shapes[w] for amp, w in zip(amps, "PQRST", strict=True))
        for name, amps in KNOWN_AMPLITUDES.items()
    }
    leads = _leads_from(base)
    for name in leads:
        extra = rng.normal(0.0, noise, n) if noise else np.zeros(n)
        if wander:
            f1, f2 = rng.uniform(0.15, 0.3), rng.uniform(0.3, 0.5)
            p1, p2 = rng.uniform(0, 2 * np.pi, 2)
            extra += wander * (
                0.7 * np.sin(2 * np.pi * f1 * t + p1) + 0.3 * np.sin(2 * np.pi * f2 * t + p2)
            )
        leads[name] = leads[name] + extra
    truth = KnownIntervals(
        heart_rate=float(heart_rate), pr_ms=pr_ms, qrs_ms=qrs_ms, qt_ms=qt_ms, qrs_onsets=onsets
    )
    return Waveform(sampling_rate=float(fs), leads=leads), truth


def _leads_from(base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    i, ii = base["I"], base["II"]
    leads = {
        "I": i,
        "II": ii,
        "III": ii - i,
        "aVR": -(i + ii) / 2,
        "aVL": i - ii / 2,
        "aVF": ii - i / 2,
    }
    leads.update({name: base[name] for name in PRECORDIAL})
    return leads
