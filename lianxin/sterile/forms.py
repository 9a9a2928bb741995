"""The one input definition of each sterile action (``core.inputs.ActionForm``), used by the scan
pages and the API alike: the fields, their limits and the scoped lookups that turn public ids
into rows the user may see (an id outside the scope is "Not found." on both paths)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.inputs import ActionForm, RowChoiceField, ScopedChoiceField
from lianxin.core.models import User
from lianxin.network.models import Institution
from lianxin.patients.models import Patient
from lianxin.sterile.actions.scan import ScanInput, do_scan_pack
from lianxin.sterile.models import Machine, PackRequest, SterilisationLoad, WasherLoad
from lianxin.sterile.rules import SCAN_STEPS, Condition, MachineKind, Packaging
from lianxin.workforce.models import Membership, Practitioner


def find_patient(user: Any, identifier: str) -> Patient | None:
    """The patient a wristband or card names: a record number of one of the user's institutions,
    or the resident ID number, among the patients the user may see."""
    value = " ".join((identifier or "").split()).upper()
    if not value:
        return None
    access = access_for(user)
    visible = Patient.objects.visible_to(user)
    return visible.filter(
        Q(id_number=value)
        | Q(identifiers__value=value, identifiers__institution_id__in=access.institution_ids)
    ).first()


class ScanForm(ActionForm):
    """One scan: the step, the barcode, and what the step needs (``do_scan_pack``)."""

    step = forms.ChoiceField(choices=[(s.value, s.label) for s in SCAN_STEPS])
    barcode = forms.CharField(max_length=40, required=False)
    branch = ScopedChoiceField(Institution.objects, required=False)
    washer_load = ScopedChoiceField(WasherLoad.objects, required=False)
    load = ScopedChoiceField(SterilisationLoad.objects, required=False)
    checker = RowChoiceField(User.objects.none(), required=False)
    contents_confirmed = forms.BooleanField(required=False)
    packaging = forms.ChoiceField(choices=[("", "—"), *Packaging.choices], required=False)
    condition = forms.ChoiceField(choices=Condition.choices, required=False)
    note = forms.CharField(max_length=200, required=False)
    patient = forms.CharField(
        max_length=40, required=False, help_text=_("Record number or resident ID number.")
    )
    procedure = forms.CharField(max_length=120, required=False)
    surgeon = ScopedChoiceField(Practitioner.objects, required=False)
    request = ScopedChoiceField(PackRequest.objects, required=False)

    def setup(self) -> None:
        # The second person at packing is someone of the user's own institutions.
        self.fields["checker"].queryset = User.objects.filter(
            memberships__institution_id__in=access_for(self.user).institution_ids
        ).distinct()

    def clean_patient(self) -> Patient | None:
        identifier = self.cleaned_data.get("patient")
        if not identifier:
            return None
        patient = find_patient(self.user, identifier)
        if patient is None:
            raise forms.ValidationError(
                _("No patient with this record number or ID number in your records.")
            )
        return patient

    def scan_input(self) -> ScanInput:
        d = self.cleaned_data
        return ScanInput(
            step=d["step"],
            barcode=d.get("barcode") or "",
            branch=d.get("branch"),
            washer_load=d.get("washer_load"),
            load=d.get("load"),
            checker=d.get("checker"),
            contents_confirmed=bool(d.get("contents_confirmed")),
            packaging=d.get("packaging") or "",
            condition=d.get("condition") or Condition.COMPLETE,
            note=d.get("note") or "",
            patient=d.get("patient"),
            procedure=d.get("procedure") or "",
            surgeon=d.get("surgeon"),
            request=d.get("request"),
        )

    def act(self, data: dict[str, Any]) -> Any:
        return do_scan_pack(actor=self.user, data=self.scan_input())


class RequestForm(forms.Form):
    """A branch's request: a quantity per set of the catalogue (fields ``set_<public id>``)."""

    needed_by = forms.DateField(required=False)
    note = forms.CharField(max_length=200, required=False)


def centre_staff(centre_institution_id: int) -> list[User]:
    """Who may check a pack at the centre (the second person at packing)."""
    ids = Membership.objects.filter(
        institution_id=centre_institution_id, role="sterile_staff", is_active=True
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("display_name"))


def machines(user: Any, kind: str) -> list[Machine]:
    return list(Machine.objects.visible_to(user).filter(kind=kind).select_related("equipment"))


__all__ = [
    "MachineKind",
    "RequestForm",
    "ScanForm",
    "centre_staff",
    "find_patient",
    "machines",
]
