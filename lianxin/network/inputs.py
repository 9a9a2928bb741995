"""The input of the DICOM device registry's actions (``network.ae``), declared once for the
page and the API: register an AE, edit it, switch it off or on again. The same permission as
the institution's equipment; the actions check it and write the audit row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.core.inputs import ActionForm, RowChoiceField
from lianxin.network.ae import do_register_application_entity, do_update_application_entity
from lianxin.network.models import AERole, ApplicationEntity, Equipment, Institution


class AEFields(ActionForm):
    """The fields of an AE; ``equipment`` lists the institution's own machines."""

    ae_title = forms.CharField(
        label=_("AE title"),
        max_length=16,
        help_text=_("Up to 16 capital letters, digits, _ or -, as set on the device."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=AERole.choices)
    modality = forms.CharField(
        label=_("Modality"),
        max_length=8,
        required=False,
        help_text=_("DICOM modality code: CT, MR, DX, US, ECG… (needed for a modality)."),
    )
    station_name = forms.CharField(label=_("Station name"), max_length=16, required=False)
    host = forms.CharField(
        label=_("Host address"),
        max_length=100,
        required=False,
        help_text=_("Where Lianxin sends retrieved images (C-MOVE), for a workstation."),
    )
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, required=False)
    equipment = RowChoiceField(
        Equipment.objects.none(), label=_("Equipment"), required=False, empty_label="—"
    )

    def institution(self) -> Institution:
        raise NotImplementedError

    def setup(self) -> None:
        self.fields["equipment"].queryset = Equipment.objects.filter(
            institution=self.institution()
        ).order_by("name")

    def values(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "ae_title": data["ae_title"],
            "role": data["role"],
            "modality": data["modality"],
            "station_name": data["station_name"],
            "host": data["host"],
            "port": data["port"],
            "equipment": data["equipment"],
        }


class RegisterAEForm(AEFields):
    """Register a DICOM device of the institution (``do_register_application_entity``); from
    then on Lianxin accepts its associations."""

    success = _("DICOM device registered.")

    def institution(self) -> Institution:
        return self.target

    def act(self, data: dict[str, Any]) -> ApplicationEntity:
        return do_register_application_entity(
            actor=self.user, institution=self.target, **self.values(data)
        )


class EditAEForm(AEFields):
    """Change a registered DICOM device (``do_update_application_entity``)."""

    success = _("DICOM device saved.")

    def institution(self) -> Institution:
        return self.target.institution

    def setup(self) -> None:
        super().setup()
        entity = self.target
        if entity is not None and not self.is_bound:
            self.initial.update(
                {
                    "ae_title": entity.ae_title,
                    "role": entity.role,
                    "modality": entity.modality,
                    "station_name": entity.station_name,
                    "host": entity.host,
                    "port": entity.port,
                    "equipment": entity.equipment.external_id if entity.equipment_id else None,
                }
            )

    def act(self, data: dict[str, Any]) -> ApplicationEntity:
        return do_update_application_entity(
            actor=self.user, entity=self.target, **self.values(data)
        )


class SetAEActiveForm(ActionForm):
    """Switch a DICOM device off (its next association is refused) or on again."""

    success = _("Saved.")
    active = forms.BooleanField(label=_("Active"), required=False)

    def act(self, data: dict[str, Any]) -> ApplicationEntity:
        return do_update_application_entity(
            actor=self.user, entity=self.target, is_active=bool(data["active"])
        )
