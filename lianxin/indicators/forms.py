"""Forms of the indicator pages; the actions check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.indicators.models import FeedKind, Judgement

DATE = forms.DateInput(attrs={"type": "date"})


class FeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Feed"), choices=FeedKind.choices)
    period_start = forms.DateField(label=_("First day covered"), widget=DATE)
    period_end = forms.DateField(label=_("Last day covered"), widget=DATE)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or Excel (.xlsx); or a FHIR bundle (.json) of encounters or claims"),
    )
    replace = forms.BooleanField(
        label=_("Replace what was imported for this period"), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class EvidenceForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What it shows"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    document = forms.FileField(label=_("Document"), required=False)

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(i.code, f"{i.number}. {i.name}") for i in indicators]


class JudgementForm(forms.Form):
    judgement = forms.ChoiceField(
        label=_("Judgement"), choices=[c for c in Judgement.choices if c[0] != Judgement.PENDING]
    )
    note = forms.CharField(label=_("Reason"), max_length=500, required=False)


class TargetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    value = forms.DecimalField(
        label=pgettext_lazy("indicator", "Target"), max_digits=12, decimal_places=4, min_value=0
    )
    source = forms.CharField(label=_("Source of the target"), max_length=200)
