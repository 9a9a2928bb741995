"""Forms parse what a person typed; the actions check the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.network.models import Agreement, Capability, CapabilityKind, Department, Institution
from lianxin.outreach.actions.education import MAX_ATTENDEES
from lianxin.outreach.models import TechniqueTransfer, TrainingPlacement
from lianxin.outreach.rules import (
    ActivityKind,
    AssessmentResult,
    ManagementArea,
    PostingKind,
    SpecialtyStatus,
)
from lianxin.workforce.models import Practitioner, Specialty

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


class PeriodForm(forms.Form):
    """A posting's new first and last day; the action checks overlap, length and activity."""

    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)


class AgreementChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agreement) -> str:
        return f"{obj.party_a.name} — {obj.party_b.name} · {obj.starts_on:%Y-%m-%d}"


class SpecialtyForm(forms.Form):
    """What is agreed for a co-built specialty (专科共建). The lead and the member are chosen
    when it is created and stay; the rest can be edited."""

    lead_institution = forms.ModelChoiceField(
        label=_("Lead institution"), queryset=Institution.objects.none()
    )
    host_institution = forms.ModelChoiceField(
        label=_("Member institution"), queryset=Institution.objects.none()
    )
    name = forms.CharField(label=_("Specialty"), max_length=80)
    specialty = forms.ModelChoiceField(
        label=_("Catalogue specialty"), queryset=Specialty.objects.none(), required=False
    )
    agreement = AgreementChoice(
        label=_("Agreement"), queryset=Agreement.objects.none(), required=False
    )
    goals = forms.CharField(
        label=_("Goals"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    status = forms.ChoiceField(label=_("Status"), choices=SpecialtyStatus.choices)
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE, required=False)

    def __init__(self, *args: Any, institutions, agreements, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["lead_institution"], self.fields["host_institution"]
        else:
            self.fields["lead_institution"].queryset = institutions
            self.fields["host_institution"].queryset = institutions
        self.fields["specialty"].queryset = Specialty.objects.order_by("code")
        self.fields["agreement"].queryset = agreements


class CourseForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Course provider"), queryset=Institution.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    topic = forms.CharField(label=_("Topic"), max_length=80, required=False)
    starts_on = forms.DateField(label=_("First day"), widget=DATE)

    def __init__(self, *args: Any, providers=None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if providers is None:
            del self.fields["provider"]
        else:
            self.fields["provider"].queryset = providers


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    topic = forms.CharField(label=_("Topic"), max_length=120)
    lecturer = PractitionerChoice(
        label=_("Lecturer"), queryset=Practitioner.objects.none(), required=False
    )
    is_live = forms.BooleanField(label=_("Live"), required=False, initial=True)

    def __init__(self, *args: Any, lecturers, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["lecturer"].queryset = lecturers


class AttendanceForm(forms.Form):
    """One institution's attendance at a session and its assessment results; entered again
    for the same institution, it replaces the figures."""

    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )
    attendees = forms.IntegerField(
        label=_("Attendees (person-times)"), min_value=0, max_value=MAX_ATTENDEES
    )
    assessed = forms.IntegerField(
        label=_("Assessed"), min_value=0, max_value=MAX_ATTENDEES, initial=0
    )
    passed = forms.IntegerField(label=_("Passed"), min_value=0, max_value=MAX_ATTENDEES, initial=0)

    def __init__(self, *args: Any, institutions, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
