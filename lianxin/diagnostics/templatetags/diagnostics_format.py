"""Labels for codes the diagnostics pages show: modalities and the sections of a report."""

from __future__ import annotations

from django import template

from lianxin.diagnostics.rules import MODALITY_LABELS, REPORT_SECTION_LABELS

register = template.Library()


@register.filter
def modality_label(code: str) -> str:
    """``EC`` → 心电图: the accession prefix as a user calls the exam kind."""
    label = MODALITY_LABELS.get(code or "")
    return str(label) if label else (code or "")


@register.filter
def section_label(key: str) -> str:
    """A report section's stored key (``findings``) as its heading (所见); free keys stay."""
    label = REPORT_SECTION_LABELS.get(key or "")
    return str(label) if label else (key or "")
