"""Every place in every app that points at a patient, found without the apps telling us.

A merge moves all of them; an unmerge puts them back. Foreign keys (and one-to-one keys) to
``Patient`` are discovered from the models' ``_meta``, so an app added later (emergency, sterile
supply, primary care) is covered without touching this code. A reference that is not a foreign
key (a patient's public id kept in a text column) is registered once with
``register_patient_reference``; the few keys that describe the merge itself are exempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

# Keys that belong to the identity machinery itself and must not follow a merge.
EXEMPT: frozenset[tuple[str, str]] = frozenset(
    {
        ("patients.patient", "merged_into"),
        ("patients.patientmerge", "source"),
        ("patients.patientmerge", "target"),
        ("patients.duplicatecandidate", "first"),
        ("patients.duplicatecandidate", "second"),
    }
)


@dataclass(frozen=True)
class Reference:
    """A column of ``model`` that holds a patient: its primary key, or its public id as text."""

    model: type[models.Model]
    field: str  # the column's attribute name (``patient_id`` for a foreign key)
    by: str = "pk"  # "pk" or "external_id"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"

    def value_of(self, patient: Any) -> Any:
        return patient.pk if self.by == "pk" else str(patient.external_id)


_registered: dict[str, tuple[str, str, str]] = {}


def register_patient_reference(model_label: str, field: str, *, by: str = "external_id") -> None:
    """Declare a column that holds a patient without being a foreign key (``app.Model``, the
    column's attribute name, and whether it holds the public id or the primary key)."""
    if by not in {"pk", "external_id"}:
        raise ValueError("by is 'pk' or 'external_id'")
    _registered[f"{model_label.lower()}.{field}"] = (model_label, field, by)


def patient_references() -> list[Reference]:
    """All references, in a stable order (by model label, then field)."""
    patient_model = apps.get_model("patients", "Patient")
    found: dict[str, Reference] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey):
                continue
            if field.remote_field.model is not patient_model:
                continue
            if (model._meta.label_lower, field.name) in EXEMPT:
                continue
            reference = Reference(model, field.attname, "pk")
            found[reference.label] = reference
    for model_label, field, by in _registered.values():
        reference = Reference(apps.get_model(model_label), field, by)
        found[reference.label] = reference
    return [found[key] for key in sorted(found)]


def reference_by_label(label: str) -> Reference | None:
    return next((r for r in patient_references() if r.label == label), None)
