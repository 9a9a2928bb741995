"""Rows of other apps the indicator tests read (an ECG exam a village clinic sent)."""

from __future__ import annotations

import datetime

from lianxin.diagnostics.models import ExamItem, ExamOrder
from lianxin.network.models import CentreType, DepartmentKind
from lianxin.testing.factories import DepartmentFactory

_counter = iter(range(1, 10_000))


def ecg_order(personas, *, performed: datetime.datetime) -> ExamOrder:
    item = ExamItem.objects.filter(centre_type=CentreType.ECG).first() or ExamItem.objects.create(
        code="ECG12", name="十二导联心电图", centre_type=CentreType.ECG, modality="ECG", price=30
    )
    centre = DepartmentFactory(
        institution=personas.county_a,
        name="心电中心",
        code=f"ECG{next(_counter)}",
        kind=DepartmentKind.SHARED_CENTRE,
        centre_type=CentreType.ECG,
    )
    return ExamOrder.objects.create(
        patient=personas.patient,
        exam=item,
        accession_number=f"T{next(_counter):08d}",
        centre_type=CentreType.ECG,
        centre=centre,
        centre_institution=personas.county_a,
        requester_institution=personas.village_a,
        performer_institution=personas.county_a,
        status="completed",
        performed_at=performed,
    )
