"""Forms parse what a person typed; the actions check the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.network.models import Department, Institution
from lianxin.outreach.rules import ActivityKind, ManagementArea, PostingKind
from lianxin.workforce.models import Practitioner

DATE = forms.DateInput(attrs={"type": "date"})


class PractitionerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Practitioner) -> str:
        return f"{obj.name} · {obj.get_title_display()} · {obj.institution.name}"


class PostingForm(forms.Form):
    practitioner = PractitionerChoice(label=_("Practitioner"), queryset=Practitioner.objects.none())
    host_institution = forms.ModelChoiceField(
        label=_("Host institution"), queryset=Institution.objects.none()
    )
    host_department = forms.ModelChoiceField(
        label=_("Host department"), queryset=Department.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PostingKind.choices)
    management_area = forms.ChoiceField(
        label=_("Management area"),
        choices=[("", "—"), *ManagementArea.choices],
        required=False,
    )
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
    role_at_host = forms.CharField(
        label=_("Role at the host"),
        max_length=80,
        required=False,
        help_text=_("e.g. acting director"),
    )
    purpose = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, practitioners, hosts, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["host_institution"].queryset = hosts
        self.fields["host_department"].queryset = Department.objects.filter(
            institution__in=hosts, is_active=True
        ).select_related("institution")


class ActivityForm(forms.Form):
    on = forms.DateField(label=_("Day"), widget=DATE)
    kind = forms.ChoiceField(label=_("What"), choices=ActivityKind.choices)
    sessions = forms.IntegerField(label=_("Sessions"), min_value=1, max_value=1000, initial=1)
    patients = forms.IntegerField(
        label=_("Patients seen"), min_value=0, max_value=100_000, initial=0
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
