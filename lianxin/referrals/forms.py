"""Forms parse what a person typed; the actions check the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.network.models import Department, Institution
from lianxin.referrals.actions.referrals import PlanItem
from lianxin.referrals.models import AppointmentSlot
from lianxin.referrals.rules import (
    RATING_CHOICES,
    ConsultationKind,
    Direction,
    FollowUpKind,
    Milestone,
    Urgency,
)
from lianxin.workforce.models import Practitioner

PLAN_ROWS = 4
DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PlanMixin(forms.Form):
    """Up to ``PLAN_ROWS`` care-plan rows: kind, what, due date."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for n in range(PLAN_ROWS):
            self.fields[f"plan_{n}_kind"] = forms.ChoiceField(
                label=_("Kind"), choices=FollowUpKind.choices, required=False
            )
            self.fields[f"plan_{n}_description"] = forms.CharField(
                label=_("What"), max_length=200, required=False
            )
            self.fields[f"plan_{n}_due_on"] = forms.DateField(
                label=_("Due on"), required=False, widget=DATE
            )

    def plan_rows(self):
        return [
            (self[f"plan_{n}_kind"], self[f"plan_{n}_description"], self[f"plan_{n}_due_on"])
            for n in range(PLAN_ROWS)
        ]

    def plan(self) -> list[PlanItem]:
        items = []
        for n in range(PLAN_ROWS):
            description = self.cleaned_data.get(f"plan_{n}_description") or ""
            if description.strip():
                items.append(
                    PlanItem(
                        kind=self.cleaned_data.get(f"plan_{n}_kind") or FollowUpKind.VISIT,
                        description=description,
                        due_on=self.cleaned_data.get(f"plan_{n}_due_on"),
                    )
                )
        return items


class ReferralForm(PlanMixin):
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    requester_institution = forms.ModelChoiceField(
        label=_("Referring institution"), queryset=Institution.objects.none(), empty_label=None
    )
    performer_institution = forms.ModelChoiceField(
        label=_("Refer to"), queryset=Institution.objects.none()
    )
    performer_department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    requested_practitioner = forms.ModelChoiceField(
        label=_("Doctor (optional)"), queryset=Practitioner.objects.none(), required=False
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    diagnosis_code = forms.CharField(label=_("ICD-10 code"), max_length=20, required=False)
    diagnosis_text = forms.CharField(label=_("Working diagnosis"), max_length=200)
    reason = forms.CharField(label=_("Reason for referral"), widget=forms.Textarea({"rows": 3}))
    history_summary = forms.CharField(
        label=_("History summary"), required=False, widget=forms.Textarea({"rows": 4})
    )
    care_plan = forms.CharField(
        label=_("Care plan (for a downward referral)"),
        required=False,
        widget=forms.Textarea({"rows": 3}),
    )
    attachments = MultipleFileField(label=_("Attached results"), required=False)

    def __init__(self, *args: Any, requesters, institutions, departments, practitioners, **kw):
        super().__init__(*args, **kw)
        self.fields["requester_institution"].queryset = requesters
        self.fields["performer_institution"].queryset = institutions
        self.fields["performer_department"].queryset = departments
        self.fields["requested_practitioner"].queryset = practitioners
        for name in (
            "requester_institution",
            "performer_institution",
            "performer_department",
            "requested_practitioner",
        ):
            self.fields[name].to_field_name = "external_id"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea({"rows": 2}))


class AcceptForm(forms.Form):
    slot = forms.ModelChoiceField(
        label=_("Book a reserved slot"), queryset=AppointmentSlot.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, slots, departments, **kw):
        super().__init__(*args, **kw)
        self.fields["slot"].queryset = slots
        self.fields["slot"].to_field_name = "external_id"
        self.fields["department"].queryset = departments
        self.fields["department"].to_field_name = "external_id"


class OutcomeForm(forms.Form):
    outcome_summary = forms.CharField(
        label=_("Outcome for the referring doctor (e.g. discharge summary)"),
        widget=forms.Textarea({"rows": 5}),
    )


class MilestoneForm(forms.Form):
    milestone = forms.ChoiceField(label=_("Milestone"), choices=Milestone.choices)
    at = forms.DateTimeField(label=_("Time"), required=False, widget=DATETIME)


class FollowUpResultForm(forms.Form):
    item = forms.UUIDField(widget=forms.HiddenInput)
    result = forms.CharField(label=_("Result"), widget=forms.Textarea({"rows": 2}))


class SubmitDraftForm(PlanMixin):
    pass


class SlotsForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), empty_label=None
    )
    starts_at = forms.DateTimeField(label=_("First slot starts"), widget=DATETIME)
    minutes = forms.IntegerField(label=_("Minutes per slot"), initial=20, min_value=5)
    count = forms.IntegerField(label=_("Number of slots"), initial=6, min_value=1)

    def __init__(self, *args: Any, departments, **kw):
        super().__init__(*args, **kw)
        self.fields["department"].queryset = departments
        self.fields["department"].to_field_name = "external_id"


class ConsultationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ConsultationKind.choices)
    requester_institution = forms.ModelChoiceField(
        label=_("Inviting institution"), queryset=Institution.objects.none(), empty_label=None
    )
    invited_departments = forms.ModelMultipleChoiceField(
        label=_("Invited departments"),
        queryset=Department.objects.none(),
        help_text=_("One for a remote consultation; several for an MDT."),
    )
    invited_practitioner = forms.ModelChoiceField(
        label=_("Invited specialist (optional)"),
        queryset=Practitioner.objects.none(),
        required=False,
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    question = forms.CharField(label=_("Question"), widget=forms.Textarea({"rows": 3}))
    clinical_summary = forms.CharField(
        label=_("Clinical summary"), required=False, widget=forms.Textarea({"rows": 4})
    )
    proposed_at = forms.DateTimeField(label=_("Proposed time"), required=False, widget=DATETIME)
    video_link = forms.URLField(
        label=_("Video meeting link"), required=False, assume_scheme="https"
    )

    def __init__(self, *args: Any, requesters, departments, practitioners, **kw):
        super().__init__(*args, **kw)
        self.fields["requester_institution"].queryset = requesters
        self.fields["invited_departments"].queryset = departments
        self.fields["invited_practitioner"].queryset = practitioners
        for name in ("requester_institution", "invited_departments", "invited_practitioner"):
            self.fields[name].to_field_name = "external_id"


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(label=_("Scheduled time"), widget=DATETIME)
    video_link = forms.URLField(
        label=_("Video meeting link"), required=False, assume_scheme="https"
    )


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("Opinion"), widget=forms.Textarea({"rows": 6}))


class ContributionForm(forms.Form):
    text = forms.CharField(label=_("Your contribution"), widget=forms.Textarea({"rows": 4}))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating"), choices=RATING_CHOICES, coerce=int)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea({"rows": 2})
    )
