"""Forms parse what a person typed; the actions check the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.network.models import Capability, CapabilityKind, Department, Institution
from lianxin.outreach.models import TechniqueTransfer, TrainingPlacement
from lianxin.outreach.rules import ActivityKind, AssessmentResult, ManagementArea, PostingKind
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


class TechniqueForm(forms.Form):
    name = forms.CharField(label=_("Technique"), max_length=120)
    host_institution = forms.ModelChoiceField(
        label=_("Host institution"), queryset=Institution.objects.none()
    )
    mentor = PractitionerChoice(label=_("Mentor"), queryset=Practitioner.objects.none())
    introduced_on = forms.DateField(label=_("Introduced on"), widget=DATE)
    capability = forms.ModelChoiceField(
        label=_("Procedure"), queryset=Capability.objects.none(), required=False
    )

    def __init__(self, *args: Any, practitioners, hosts, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["host_institution"].queryset = hosts
        self.fields["mentor"].queryset = practitioners
        self.fields["capability"].queryset = Capability.objects.filter(
            kind=CapabilityKind.PROCEDURE
        ).order_by("code")


class CaseForm(forms.Form):
    technique = forms.ModelChoiceField(
        label=_("Technique"), queryset=TechniqueTransfer.objects.none()
    )
    performed_on = forms.DateField(label=_("Performed on"), widget=DATE)
    with_mentor = forms.BooleanField(label=_("With the mentor"), required=False, initial=True)
    operator = PractitionerChoice(
        label=_("Host doctor (without the mentor)"),
        queryset=Practitioner.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, techniques, operators, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["technique"].queryset = techniques
        self.fields["operator"].queryset = operators


class PlacementForm(forms.Form):
    trainee = PractitionerChoice(label=_("Trainee"), queryset=Practitioner.objects.none())
    host_institution = forms.ModelChoiceField(
        label=_("Training institution"), queryset=Institution.objects.none()
    )
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)

    def __init__(self, *args: Any, practitioners, hosts, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = practitioners
        self.fields["host_institution"].queryset = hosts


class AssessForm(forms.Form):
    placement = forms.ModelChoiceField(
        label=_("Placement"), queryset=TrainingPlacement.objects.none()
    )
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[c for c in AssessmentResult.choices if c[0] != AssessmentResult.PENDING],
    )
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DATE)

    def __init__(self, *args: Any, placements, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["placement"].queryset = placements
