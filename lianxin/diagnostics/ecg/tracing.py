"""The 12-lead tracing on the standard grid as SVG, in millimetres: 25 mm/s, 10 mm/mV, three
rows of four 2.5-second columns (I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6) and lead II as a
10-second rhythm strip, with a 1 mV calibration pulse. The same SVG is the page's picture and
the PDF's (fpdf2 draws SVG)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from lianxin.diagnostics.ecg import rules
from lianxin.diagnostics.ecg.signals_io import Waveform

COLUMN_S = 2.5
ROW_MM = 30.0
LEFT_MM = 10.0  # room for the calibration pulse
POINTS_PER_MM = 4  # enough for the eye and the printer at 25 mm/s


def _path(values: np.ndarray, fs: float, x0: float, y0: float) -> str:
    mm_per_sample = rules.PAPER_SPEED_MM_S / fs
    step = max(int(fs / (rules.PAPER_SPEED_MM_S * POINTS_PER_MM)), 1)
    xs = x0 + np.arange(0, len(values), step) * mm_per_sample
    ys = y0 - np.clip(values[::step], -2.5, 2.5) * rules.GAIN_MM_MV
    points = " ".join(f"{x:.2f},{y:.2f}" for x, y in zip(xs, ys, strict=False))
    return f'<polyline class="trace" points="{points}"/>'


def _grid(width: float, height: float) -> list[str]:
    minor = [
        f'<line x1="{x}" y1="0" x2="{x}" y2="{height}"/>' for x in range(0, int(width) + 1)
    ] + [f'<line x1="0" y1="{y}" x2="{width}" y2="{y}"/>' for y in range(0, int(height) + 1)]
    major = [
        f'<line x1="{x}" y1="0" x2="{x}" y2="{height}"/>' for x in range(0, int(width) + 1, 5)
    ] + [f'<line x1="0" y1="{y}" x2="{width}" y2="{y}"/>' for y in range(0, int(height) + 1, 5)]
    return [
        f'<g stroke="#f6c6c6" stroke-width="0.1">{"".join(minor)}</g>',
        f'<g stroke="#ec8f8f" stroke-width="0.25">{"".join(major)}</g>',
    ]


def _calibration(x: float, y: float) -> str:
    h = rules.GAIN_MM_MV
    return (
        f'<polyline class="trace" points="{x},{y} {x + 1},{y} {x + 1},{y - h} '
        f'{x + 6},{y - h} {x + 6},{y} {x + 7},{y}"/>'
    )


def render_svg(wave: Waveform, *, title: str = "") -> str:
    fs = wave.sampling_rate
    column_mm = COLUMN_S * rules.PAPER_SPEED_MM_S
    width = LEFT_MM + 4 * column_mm + 2
    height = ROW_MM * 4 + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}mm" height="{height:.0f}mm" role="img" '
        f'aria-label="{escape(title or "12-lead ECG")}">',
        '<rect width="100%" height="100%" fill="#fff"/>',
        *_grid(width, height),
        '<g fill="none" stroke="#111" stroke-width="0.3" stroke-linejoin="round">',
    ]
    per_column = int(COLUMN_S * fs)
    for row, names in enumerate(rules.LAYOUT):
        y0 = ROW_MM * row + ROW_MM / 2 + 3
        parts.append(_calibration(1, y0))
        for col, name in enumerate(names):
            segment = wave.leads[name][col * per_column : (col + 1) * per_column]
            parts.append(_path(segment, fs, LEFT_MM + col * column_mm, y0))
    y0 = ROW_MM * 3 + ROW_MM / 2 + 3
    parts.append(_calibration(1, y0))
    rhythm = wave.leads[rules.RHYTHM_LEAD][: int(4 * COLUMN_S * fs)]
    parts.append(_path(rhythm, fs, LEFT_MM, y0))
    parts.append("</g>")
    parts.append('<g font-size="3" font-family="sans-serif" fill="#111">')
    for row, names in enumerate(rules.LAYOUT):
        for col, name in enumerate(names):
            parts.append(
                f'<text x="{LEFT_MM + col * column_mm + 1}" y="{ROW_MM * row + 6}">{name}</text>'
            )
    parts.append(f'<text x="{LEFT_MM + 1}" y="{ROW_MM * 3 + 6}">{rules.RHYTHM_LEAD}</text>')
    parts.append(
        f'<text x="{width - 52}" y="{height - 1.5}">25 mm/s · 10 mm/mV · {fs:.0f} Hz</text>'
    )
    parts.append("</g></svg>")
    return "".join(parts)
