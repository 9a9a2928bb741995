"""Barcodes on printed labels: Code 128 encoded by python-barcode and QR codes by segno, drawn on
fpdf2 pages. The libraries encode; this module only places the modules on the page."""

from __future__ import annotations

import io

import barcode
import segno
from fpdf import FPDF

QUIET_MODULES = 10


def code128_modules(text: str) -> str:
    """The Code 128 symbol of ``text`` as modules, ``1`` bar and ``0`` space (python-barcode
    chooses the code sets, adds the checksum and the stop pattern)."""
    if not text or any(not 32 <= ord(ch) <= 126 for ch in text):
        raise ValueError("a label barcode carries printable ASCII only")
    return barcode.get("code128", text).build()[0]


def draw_code128(pdf: FPDF, text: str, *, x: float, y: float, width: float, height: float) -> float:
    """Draw ``text`` centred in the box (quiet zones inside it); returns the module width used."""
    modules = code128_modules(text)
    module = width / (len(modules) + 2 * QUIET_MODULES)
    left = x + (width - module * len(modules)) / 2
    pdf.set_fill_color(0, 0, 0)
    start = None
    for index, bit in enumerate(f"{modules}0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            pdf.rect(left + start * module, y, (index - start) * module, height, style="F")
            start = None
    return module


def qr_png(text: str, *, error: str = "m", scale: int = 8) -> bytes:
    """A QR code of ``text`` as PNG bytes (segno writes PNG itself)."""
    buffer = io.BytesIO()
    segno.make(text, error=error).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def draw_qr(pdf: FPDF, text: str, *, x: float, y: float, size: float) -> None:
    pdf.image(io.BytesIO(qr_png(text)), x=x, y=y, w=size, h=size)
