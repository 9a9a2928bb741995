"""Code 128 (ISO/IEC 15417) for specimen labels, drawn as bars on an fpdf2 page.

fpdf2 draws only Code 39 and Interleaved 2 of 5; laboratory labels use Code 128 (denser, and
what the scanners at the pathology desks read by default), and its encoding fits on a page, so it
is written out here instead of adding a barcode library. Code set B carries letters and dashes;
runs of four or more digits switch to code set C (two digits a symbol), which keeps an accession
number short enough to print on a 62 mm label.
"""

from __future__ import annotations

from fpdf import FPDF

# Element widths (bar, space, bar, space, bar, space) of the 107 symbols, by symbol value.
PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)  # fmt: skip
CODE_C, CODE_B = 99, 100
START_B, START_C, STOP = 104, 105, 106
QUIET_MODULES = 10


def _digits_at(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return end - start


def code128_values(text: str) -> list[int]:
    """The symbol values of ``text``: start, data (sets B and C), checksum, stop."""
    if not text or any(not 32 <= ord(ch) <= 126 for ch in text):
        raise ValueError("Code 128 set B/C carries printable ASCII only")
    values: list[int] = []
    current = None
    i = 0
    while i < len(text):
        run = _digits_at(text, i)
        if run >= 4 or (run == len(text) == 2):
            if current != "C":
                values.append(START_C if not values else CODE_C)
                current = "C"
            pairs = run // 2 * 2
            values.extend(int(text[j : j + 2]) for j in range(i, i + pairs, 2))
            i += pairs
        else:
            if current != "B":
                values.append(START_B if not values else CODE_B)
                current = "B"
            values.append(ord(text[i]) - 32)
            i += 1
    checksum = (values[0] + sum(pos * v for pos, v in enumerate(values[1:], 1))) % 103
    return [*values, checksum, STOP]


def code128_modules(text: str) -> str:
    """The barcode as a string of modules, ``1`` for bar and ``0`` for space (no quiet zone)."""
    out = []
    for value in code128_values(text):
        for index, width in enumerate(PATTERNS[value]):
            out.append(("1" if index % 2 == 0 else "0") * int(width))
    return "".join(out)


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
