"""ECG analysis: milliseconds per 10-second 12-lead record at 500 Hz, and the measured error
against simulated records of known rate (neurokit2's ECGSYN model, 40–180 bpm, with noise),
and the measurements of pydicom's bundled 12-lead file.

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
from lianxin.diagnostics.ecg.simulate import simulate  # noqa: E402


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
    print(
        f"analysis: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms per "
        "10-second 12-lead record at 500 Hz"
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
