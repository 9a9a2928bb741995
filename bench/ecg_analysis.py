"""ECG analysis: milliseconds per 10-second 12-lead record at 500 Hz; the heart-rate error
against simulated records of known rate (neurokit2's ECGSYN model, 40–180 bpm, with noise);
the QRS and QT error against records whose intervals are known exactly (``simulate_known``,
40–180 bpm, clean and with noise and baseline wander); the measurements of pydicom's bundled
12-lead file.

    .venv/bin/python bench/ecg_analysis.py [--records 12]

Prints the figures; no database needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LIANXIN_MODE", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")

import django

django.setup()

from pydicom.data import get_testdata_file  # noqa: E402

from lianxin.diagnostics.ecg.analysis import analyse  # noqa: E402
from lianxin.diagnostics.ecg.signals_io import read_dicom  # noqa: E402
from lianxin.diagnostics.ecg.simulate import simulate, simulate_known  # noqa: E402

#: (label, noise sd in mV, baseline wander amplitude in mV)
CONDITIONS = [("clean", 0.0, 0.0), ("light noise", 0.02, 0.05), ("noisy", 0.05, 0.1)]


def known_intervals(rates: list[int], times: list[float]) -> None:
    """QRS and QT against the exact intervals of ``simulate_known`` records."""
    for label, noise, wander in CONDITIONS:
        qrs_err, qt_err, missing = [], [], 0
        for rate in rates:
            wave, truth = simulate_known(rate, noise=noise, wander=wander, seed=rate)
            start = time.perf_counter()
            m = analyse(wave)
            times.append((time.perf_counter() - start) * 1000)
            if m.qrs_ms is None or m.qt_ms is None:
                missing += 1
                print(f"  {label:11s} {rate:4d} bpm: no QRS or QT measured")
                continue
            qrs_err.append(m.qrs_ms - truth.qrs_ms)
            qt_err.append(m.qt_ms - truth.qt_ms)
            print(
                f"  {label:11s} {rate:4d} bpm: HR {m.heart_rate:6.1f}; QRS {m.qrs_ms:4.0f} "
                f"(true {truth.qrs_ms:.0f}, {qrs_err[-1]:+.0f}); QT {m.qt_ms:4.0f} "
                f"(true {truth.qt_ms:.0f}, {qt_err[-1]:+.0f}); PR {m.pr_ms or 0:4.0f} "
                f"(true {truth.pr_ms:.0f}); flags {','.join(m.flags) or '—'}"
            )
        if qrs_err:
            within = sum(
                abs(a) <= 20 and abs(b) <= 20 for a, b in zip(qrs_err, qt_err, strict=True)
            )
            print(
                f"{label}: QRS error mean abs {statistics.mean(map(abs, qrs_err)):.1f} ms, "
                f"range {min(qrs_err):+.0f}…{max(qrs_err):+.0f}; QT error mean abs "
                f"{statistics.mean(map(abs, qt_err)):.1f} ms, range {min(qt_err):+.0f}…"
                f"{max(qt_err):+.0f}; both within 20 ms on {within} of {len(rates)} records"
                f"{f', {missing} unmeasured' if missing else ''}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=12, help="simulated records (40–180 bpm)")
    args = parser.parse_args()
    rates = [40 + round(140 * i / max(args.records - 1, 1)) for i in range(args.records)]
    errors, clean_qrs, clean_qt, times = [], [], [], []
    for n, rate in enumerate(rates):
        noisy = simulate(heart_rate=rate, noise=0.05, seed=n + 1)
        start = time.perf_counter()
        m = analyse(noisy)
        times.append((time.perf_counter() - start) * 1000)
        errors.append(abs((m.heart_rate or 0) - rate))
        clean = analyse(simulate(heart_rate=rate, noise=0.0, seed=n + 1))
        clean_qrs.append(clean.qrs_ms)
        clean_qt.append(clean.qt_ms)
        print(
            f"  {rate:4d} bpm: measured {m.heart_rate or 0:6.1f}, QRS {m.qrs_ms or 0:5.0f} ms, "
            f"QT {m.qt_ms or 0:5.0f} ms, clean QRS {clean.qrs_ms or 0:5.0f}, "
            f"QT {clean.qt_ms or 0:5.0f}, flags {','.join(m.flags) or '—'}"
        )
    mae = statistics.mean(errors)
    print(f"heart-rate MAE: {mae:.2f} bpm (max {max(errors):.1f}) over {len(rates)} records")
    known_intervals(rates, times)
    print(
        f"analysis: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms per "
        f"10-second 12-lead record at 500 Hz ({len(times)} records); load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    with open(get_testdata_file("waveform_ecg.dcm"), "rb") as f:
        wave = read_dicom(f.read())
    start = time.perf_counter()
    m = analyse(wave)
    print(
        f"pydicom waveform_ecg.dcm ({wave.sampling_rate:.0f} Hz, {wave.duration:.0f} s): "
        f"HR {m.heart_rate:.1f}, PR {m.pr_ms or 0:.0f}, QRS {m.qrs_ms or 0:.0f}, "
        f"QT {m.qt_ms or 0:.0f}, "
        f"QTc B {m.qtc_bazett_ms or 0:.0f} / F {m.qtc_fridericia_ms or 0:.0f} ms, "
        f"flags {','.join(m.flags) or '—'}, {(time.perf_counter() - start) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
