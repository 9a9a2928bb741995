"""Forms parse what a person typed; the actions validate the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.network.models import Institution
from lianxin.patients.models import Sex


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put an action's field errors on the form's fields (the rest on the form itself)."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class DemographicsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=20,
        required=False,
        help_text=_("18 characters (or 15 for an old card). Birth date and sex are read from it."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", _("From the ID number")), *Sex.choices], required=False
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=24, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class RegisterForm(DemographicsForm):
    institution = forms.ModelChoiceField(
        label=_("Register at"), queryset=Institution.objects.none(), empty_label=None
    )
    mrn = forms.CharField(
        label=_("Medical record number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to generate one."),
    )

    field_order = ["institution", "name", "id_number", "sex", "birth_date", "phone", "address"]

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        self.fields["institution"].to_field_name = "external_id"


class EditForm(DemographicsForm):
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class BreakGlassForm(forms.Form):
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=20,
        help_text=_("Emergency access finds a patient by the exact ID number only."),
    )
    institution = forms.ModelChoiceField(
        label=_("Acting for"), queryset=Institution.objects.none(), empty_label=None
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit log with your name."),
    )

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        self.fields["institution"].to_field_name = "external_id"
