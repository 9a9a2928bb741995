"""Forms parse what an administrator typed; the actions check the rules and report field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.network.models import (
    Capability,
    CapabilityKind,
    CentreType,
    Department,
    DepartmentKind,
    EquipmentStatus,
    Tier,
)


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put an action's field errors on the form's fields (the rest on the form itself)."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class InstitutionFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=60)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    community = forms.UUIDField(label=_("Community"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("All tiers")), *Tier.choices]


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    code = forms.CharField(label=_("Code"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=DepartmentKind.choices)
    centre_type = forms.ChoiceField(
        label=_("Centre type"), choices=[("", "—"), *CentreType.choices], required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)


class EquipmentForm(forms.Form):
    capability = forms.ModelChoiceField(
        label=_("Provides"),
        queryset=Capability.objects.filter(kind=CapabilityKind.FACILITY),
        to_field_name="code",
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    model_name = forms.CharField(label=_("Model"), max_length=120, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=60, required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=EquipmentStatus.choices)
    installed_on = forms.DateField(
        label=_("Installed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments
        self.fields["department"].to_field_name = "external_id"


class EquipmentStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=EquipmentStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
