"""Automated measurements of a 12-lead ECG with neurokit2: R peaks on lead II give the rate and
the rhythm regularity; the QRS and QT are global intervals over the eight independent leads
(I, II, V1–V6), beat by beat the median over the leads of neurokit2's delineations (QRS onset
by its ``prominence`` method, QRS offset by ``dwt``, T end by ``dwt`` and ``cwt`` together);
PR from lead II's P onset (``dwt``) to the global QRS onset; QTc by Bazett and Fridericia; ST
deviation at J + 60 ms against the PR baseline in every lead (lead II's DWT onset and offset).
Then the flags of ``rules.py``.

Why this combination (measured in ``bench/ecg_analysis.py`` on ``simulate_known`` records whose
intervals are exact): on lead II alone the DWT onset comes 10–20 ms early, so its QRS was
10–28 ms wide, and it finds no T end at 180 bpm; the prominence onset is within about 6 ms,
the DWT offset within 8 ms; DWT T ends are 3–12 ms early and CWT's 6–17 ms late, and the
median over the leads of both stays within 20 ms of the truth at 40–180 bpm."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np

from lianxin.diagnostics.ecg import rules
from lianxin.diagnostics.ecg.signals_io import Waveform

#: The independent leads of a 12-lead ECG (III and the augmented leads are sums of I and II).
GLOBAL_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")


@dataclass
class Measurements:
    heart_rate: float | None = None
    rr_cv: float | None = None
    pr_ms: float | None = None
    qrs_ms: float | None = None
    qt_ms: float | None = None
    qtc_bazett_ms: float | None = None
    qtc_fridericia_ms: float | None = None
    st_mv: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    beats: int = 0


def _median_interval(start, end, fs: float) -> float | None:
    a = np.asarray(start, dtype=float)
    b = np.asarray(end, dtype=float)
    n = min(len(a), len(b))
    d = (b[:n] - a[:n]) / fs * 1000.0
    d = d[np.isfinite(d) & (d > 0)]
    return float(np.median(d)) if len(d) else None


def _st_deviation(
    signal: np.ndarray, onsets, offsets, fs: float, after_j: float = 0.06
) -> float | None:
    values = []
    for on, off in zip(onsets, offsets, strict=False):
        if not (np.isfinite(on) and np.isfinite(off)):
            continue
        base_at = int(on - 0.02 * fs)
        st_at = int(off + after_j * fs)
        if base_at < 0 or st_at >= len(signal):
            continue
        values.append(signal[st_at] - signal[base_at])
    return float(np.median(values)) if values else None


def _per_beat(values, beats: int) -> np.ndarray:
    a = np.asarray(values, dtype=float)[:beats]
    return np.pad(a, (0, beats - len(a)), constant_values=np.nan)


def _across_leads(rows: list[np.ndarray], beats: int) -> np.ndarray:
    """Beat by beat the median over the leads that delineated that beat (NaN where none did)."""
    if not rows:
        return np.full(beats, np.nan)
    stack = np.vstack(rows)
    out = np.full(beats, np.nan)
    found = np.isfinite(stack).any(axis=0)
    out[found] = np.nanmedian(stack[:, found], axis=0)
    return out


def global_fiducials(wave: Waveform, peaks: np.ndarray) -> dict[str, np.ndarray]:
    """Global QRS onset, QRS offset and T end (sample index, one per R peak) over the
    independent leads, from neurokit2's delineations (see the module's docstring)."""
    import neurokit2 as nk

    fs = wave.sampling_rate
    beats = len(peaks)
    rows: dict[str, list[np.ndarray]] = {"onset": [], "offset": [], "t_end": []}
    for name in GLOBAL_LEADS:
        if name not in wave.leads:
            continue
        signal = nk.ecg_clean(wave.leads[name], sampling_rate=fs)
        for method in ("prominence", "dwt", "cwt"):
            try:
                _, waves = nk.ecg_delineate(signal, peaks, sampling_rate=fs, method=method)
            except (ValueError, IndexError, ZeroDivisionError, KeyError):
                continue
            if method == "prominence":
                rows["onset"].append(_per_beat(waves["ECG_R_Onsets"], beats))
            if method == "dwt":
                rows["offset"].append(_per_beat(waves["ECG_R_Offsets"], beats))
            if method in ("dwt", "cwt"):
                rows["t_end"].append(_per_beat(waves["ECG_T_Offsets"], beats))
    return {key: _across_leads(value, beats) for key, value in rows.items()}


def flags_for(m: Measurements) -> list[str]:
    out = []
    if m.heart_rate is not None and m.heart_rate < rules.BRADY_BPM:
        out.append("brady")
    if m.heart_rate is not None and m.heart_rate > rules.TACHY_BPM:
        out.append("tachy")
    if m.rr_cv is not None and m.rr_cv > rules.AF_RR_CV:
        out.append("af")
    if m.qtc_bazett_ms is not None and m.qtc_bazett_ms > rules.QTC_MS:
        out.append("qtc")
    st = dict(m.st_mv)
    if "aVR" in st:
        st["-aVR"] = -st["aVR"]
    for chain in rules.CONTIGUOUS:
        for a, b in itertools.pairwise(chain):
            if st.get(a, 0) >= rules.ST_ELEVATION_MV and st.get(b, 0) >= rules.ST_ELEVATION_MV:
                out.append("st")
                break
        if "st" in out:
            break
    return out


def analyse(wave: Waveform) -> Measurements:
    """Measure one record. A record without enough beats gets no intervals (and no flags)."""
    import neurokit2 as nk

    fs = wave.sampling_rate
    m = Measurements()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lead = nk.ecg_clean(wave.leads[rules.RHYTHM_LEAD], sampling_rate=fs)
        _, info = nk.ecg_peaks(lead, sampling_rate=fs)
        peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
        m.beats = len(peaks)
        if len(peaks) < 3:
            return m
        rr = np.diff(peaks) / fs
        m.heart_rate = float(60.0 / np.median(rr))
        m.rr_cv = float(np.std(rr) / np.mean(rr))
        try:
            _, waves = nk.ecg_delineate(lead, peaks, sampling_rate=fs, method="dwt")
        except (ValueError, IndexError, ZeroDivisionError):
            waves = {}
        fiducials = global_fiducials(wave, peaks)
    onsets, offsets = fiducials["onset"], fiducials["offset"]
    if waves:
        m.pr_ms = _median_interval(_per_beat(waves["ECG_P_Onsets"], len(peaks)), onsets, fs)
    m.qrs_ms = _median_interval(onsets, offsets, fs)
    m.qt_ms = _median_interval(onsets, fiducials["t_end"], fs)
    if m.qt_ms is not None:
        rr_s = float(np.median(rr))
        m.qtc_bazett_ms = m.qt_ms / rr_s**0.5
        m.qtc_fridericia_ms = m.qt_ms / rr_s ** (1 / 3)
    if waves:
        # ST at J + 60 ms, or J + 40 ms above 100 bpm where J + 60 ms reaches the T wave; the
        # baseline and J from lead II's DWT delineation, whose early onset keeps the baseline
        # point (onset - 20 ms) in the PR segment rather than in a Q wave.
        after_j = 0.06 if m.heart_rate <= 100 else 0.04
        on = np.asarray(waves["ECG_R_Onsets"], dtype=float)
        off = np.asarray(waves["ECG_R_Offsets"], dtype=float)
        for name in rules.LEADS:
            value = _st_deviation(np.asarray(wave.leads[name], dtype=float), on, off, fs, after_j)
            if value is not None:
                m.st_mv[name] = round(value, 3)
    m.flags = flags_for(m)
    return m
