"""Forms parse what an administrator typed; the actions check the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.core.permissions import Role
from lianxin.network.models import Department
from lianxin.workforce.models import Profession, Specialty, Title


class PractitionerFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, licence, department or specialty"), required=False)
    title = forms.ChoiceField(label=_("Title"), required=False)
    institution = forms.UUIDField(label=_("Institution"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["title"].choices = [("", _("All titles")), *Title.choices]


class PractitionerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), ("M", _("Male")), ("F", _("Female"))], required=False
    )
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    title = forms.ChoiceField(label=_("Title"), choices=Title.choices)
    licence_number = forms.CharField(label=_("Licence number"), max_length=30, required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    specialties = forms.ModelMultipleChoiceField(
        label=_("Specialties"),
        queryset=Specialty.objects.all(),
        required=False,
        to_field_name="code",
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].to_field_name = "external_id"


class GrantRoleForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
