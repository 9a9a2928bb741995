"""Writes the interfaces make: the audit rows of what external systems read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from lianxin.core import audit
from lianxin.core.access import access_for


def record_patient_search(
    *, actor: Any, patient_ids: Sequence[Any], channel: str, criteria: Sequence[str]
) -> None:
    """One audit row for a page of patients listed to an external client.

    Only the parameter names are kept: an identifier search carries an ID number, which the
    audit log must not hold in clear.
    """
    clinical = access_for(actor).clinical_institution_ids
    with transaction.atomic():
        audit.record(
            "patient.search",
            actor=actor,
            institution=min(clinical) if clinical else None,
            target_type="patients.patient",
            after={
                "channel": channel,
                "criteria": sorted(set(criteria)),
                "ids": [str(pk) for pk in patient_ids],
            },
        )
