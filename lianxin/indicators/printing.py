"""The annual report: every indicator of the edition for a community-year, with its definition,
value, numerator and denominator, provenance and a trend chart, in Chinese, as PDF.

Charts are drawn with matplotlib (its Agg backend, no display) with the same CJK font that the
report embeds, and placed as images; the text is set with fpdf2.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf import FPDF

from lianxin.core.pdf import FontUnavailable, find_font
from lianxin.indicators.queries import Dashboard

FONT = "cjk"
__all__ = ["FontUnavailable", "build_annual_pdf", "find_font"]


def _chart_png(
    labels: list[str],
    values: list[Decimal | None],
    unit: str,
    font_path: str,
    target: Decimal | None,
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font_manager.fontManager.addfont(font_path)
    name = font_manager.FontProperties(fname=font_path).get_name()
    plt.rcParams["font.family"] = name
    figure, axis = plt.subplots(figsize=(6.4, 2.2), dpi=150)
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if points:
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#3f6fb5")
        for x, y in points:
            axis.annotate(
                f"{y:g}", (x, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7
            )
    if target is not None:
        axis.axhline(float(target), color="#c0392b", linestyle="--", linewidth=1)
        axis.text(
            0,
            float(target),
            f" {pgettext('indicator', 'Target')} {target:g}{unit}",
            color="#c0392b",
            fontsize=7,
            va="bottom",
        )
    axis.set_xticks(range(len(labels)), labels, fontsize=7)
    axis.tick_params(axis="y", labelsize=7)
    axis.set_ylabel(unit, fontsize=7)
    axis.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def _value(value: Decimal | None, unit: str) -> str:
    return "—" if value is None else f"{value}{unit}"


def build_annual_pdf(board: Dashboard) -> bytes:
    """The report of ``board`` (a year's dashboard with trends) as PDF bytes."""
    font = str(find_font())
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FONT, "", font, collection_font_number=0)
    pdf.set_title(f"{board.scope.label} {board.period.label} {board.edition.name}")
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.multi_cell(0, 9, f"{board.scope.label}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=13)
    pdf.multi_cell(
        0,
        7,
        _("%(edition)s — %(period)s annual report")
        % {"edition": board.edition.name, "period": board.period.label},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        _("Generated %(time)s. Source: %(citation)s")
        % {
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "citation": board.edition.citation,
        },
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for aspect, rows in board.aspects:
        pdf.ln(3)
        pdf.set_font(FONT, size=13)
        pdf.multi_cell(0, 8, f"{aspect.name}：{aspect.description}", new_x="LMARGIN", new_y="NEXT")
        for row in rows:
            figure, indicator = row.figure, row.figure.indicator
            unit = "%" if indicator.percent else indicator.unit
            if pdf.will_page_break(60):
                pdf.add_page()
            pdf.set_font(FONT, size=11)
            pdf.multi_cell(
                0, 6, f"{indicator.number}. {indicator.name}", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.set_font(FONT, size=9)
            lines = []
            if figure.components and figure.value is None and figure.status == "qualitative":
                lines.append("；".join(f"{label}：{value}" for label, value in figure.components))
            else:
                lines.append(_("Value: %(value)s") % {"value": _value(figure.value, unit)})
                if figure.numerator is not None:
                    lines.append(
                        _("Numerator %(n)s (%(nw)s); denominator %(d)s (%(dw)s)")
                        % {
                            "n": figure.numerator,
                            "nw": indicator.numerator,
                            "d": figure.denominator if figure.denominator is not None else "—",
                            "dw": indicator.denominator,
                        }
                    )
                lines += [f"{label}：{value}" for label, value in figure.components]
            if row.target:
                lines.append(
                    _("Target %(value)s (%(source)s)")
                    % {
                        "value": _value(row.target.value.normalize(), unit),
                        "source": row.target.source,
                    }
                )
            lines += figure.notes
            for source in figure.sources:
                updated = (
                    timezone.localtime(source.updated_at).strftime("%Y-%m-%d %H:%M")
                    if source.updated_at
                    else "—"
                )
                lines.append(
                    _("Data: %(label)s, %(rows)d rows, updated %(updated)s")
                    % {"label": source.label, "rows": source.rows, "updated": updated}
                )
            for line in lines:
                pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
            if row.trend and any(v is not None for _label, v in row.trend):
                png = _chart_png(
                    [label for label, _v in row.trend],
                    [v for _l, v in row.trend],
                    unit,
                    font,
                    row.target.value if row.target else None,
                )
                pdf.image(io.BytesIO(png), w=150)
    return bytes(pdf.output())
