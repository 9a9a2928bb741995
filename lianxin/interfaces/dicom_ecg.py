"""12-lead ECG waveforms that arrive over DICOM C-STORE go to the ECG centre's ingestion: the
stored file of an instance linked to an ECG order is recorded and measured (diagnostics)."""

from __future__ import annotations

import logging
from typing import Any

from lianxin.diagnostics.ecg.signals_io import ECG_SOP_CLASSES

log = logging.getLogger(__name__)


def ecg_instance_stored(sender: Any, instance: Any, study: Any, sop_class_uid: str, **kw) -> None:
    if sop_class_uid not in ECG_SOP_CLASSES or study.order_id is None:
        return
    from django.core.exceptions import ValidationError

    from lianxin.core.errors import ActionError
    from lianxin.diagnostics.ecg.actions import do_record_ecg
    from lianxin.diagnostics.ecg.models import EcgSource
    from lianxin.diagnostics.models import ExamOrder

    order = ExamOrder.objects.select_related("patient").get(pk=study.order_id)
    if order.centre_type != "ecg":
        return
    with instance.file.open("rb") as f:
        data = f.read()
    try:
        do_record_ecg(
            order=order,
            data=data,
            name=instance.sop_instance_uid + ".dcm",
            source=EcgSource.C_STORE,
            site_id=getattr(study, "source_institution_id", None),
        )
    except (ValidationError, ActionError) as exc:
        log.warning("ECG %s of %s not measured: %s", instance.sop_instance_uid, order, exc)


def connect() -> None:
    from lianxin.interfaces.dicom.signals import instance_stored

    instance_stored.connect(ecg_instance_stored, dispatch_uid="ecg-from-c-store")
