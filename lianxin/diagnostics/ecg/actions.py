"""Writes of the ECG centre: a recording arrives (uploaded on the order page, or sent by an ECG
cart through the DICOM service), is measured, and its flags raise the worklist priority and
propose a critical result; the reader confirms (a critical result is raised) or dismisses it."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.diagnostics.ecg import rules
from lianxin.diagnostics.ecg.analysis import analyse
from lianxin.diagnostics.ecg.models import EcgRecording, EcgSource, Proposal
from lianxin.diagnostics.ecg.signals_io import EcgFileError, read_any, to_npz
from lianxin.network.models import CentreType

MAX_FILE_BYTES = 20 * 1024 * 1024


def _algorithm() -> str:
    from importlib.metadata import version

    return f"neurokit2 {version('neurokit2')}"


def do_record_ecg(
    *,
    order: Any,
    data: bytes,
    name: str = "",
    source: str | None = None,
    actor: Any = None,
    site_id: int | None = None,
    now: datetime.datetime | None = None,
) -> EcgRecording:
    """Store and measure one ECG file of ``order``. A person uploading needs to take part in the
    order (perform at either side); the DICOM service records as the platform."""
    from lianxin.diagnostics.actions.orders import do_perform_exam, do_record_exam_images
    from lianxin.diagnostics.models import ExamOrder

    now = now or timezone.now()
    if order.centre_type != CentreType.ECG:
        raise ActionError(_("Only an ECG order takes an ECG recording."))
    if order.status in {Status.CANCELLED, Status.ENTERED_IN_ERROR, Status.COMPLETED}:
        raise ActionError(_("This order is closed; amend its report instead."))
    if actor is not None:
        access = access_for(actor)
        if not any(
            access.has_perm(Perm.PERFORM_SERVICE, i)
            for i in (order.requester_institution_id, order.performer_institution_id)
        ):
            raise NotAllowed(_("Only the ordering site or the ECG centre records this ECG."))
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": [_("The file is larger than 20 MB.")]})
    try:
        wave = read_any(data, name)
    except EcgFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    if wave.duration < 5:
        raise ValidationError({"file": [_("The record is shorter than 5 seconds.")]})
    kind = source or (EcgSource.DICOM_UPLOAD if data[128:132] == b"DICM" else EcgSource.WFDB_UPLOAD)
    m = analyse(wave)
    with transaction.atomic():
        recording = EcgRecording(
            order=order,
            source=kind,
            site_id=site_id or order.requester_institution_id,
            original_name=(name or "")[:120],
            sampling_rate=wave.sampling_rate,
            duration_s=round(wave.duration, 2),
            recorded_at=now,
            uploaded_by=actor,
            heart_rate=m.heart_rate,
            rr_cv=m.rr_cv,
            pr_ms=m.pr_ms,
            qrs_ms=m.qrs_ms,
            qt_ms=m.qt_ms,
            qtc_bazett_ms=m.qtc_bazett_ms,
            qtc_fridericia_ms=m.qtc_fridericia_ms,
            st_mv=m.st_mv,
            flags=m.flags,
            algorithm=_algorithm(),
            proposal=Proposal.PROPOSED if m.flags else Proposal.NONE,
        )
        stem = order.accession_number
        recording.original.save(f"{stem}-{kind}.bin", ContentFile(data), save=False)
        recording.signal.save(f"{stem}.npz", ContentFile(to_npz(wave)), save=False)
        recording.save()
        if order.status in (Status.REQUESTED, Status.ACCEPTED):
            if actor is None:
                do_record_exam_images(
                    order=order, study_uid=order.study_uid, image_count=1, source=kind, now=now
                )
            else:
                do_perform_exam(actor=actor, order=order, image_count=1, now=now)
        if m.flags:
            # Flagged: read first. The worklist orders by critical flag, then priority.
            ExamOrder.objects.filter(pk=order.pk).update(
                priority="stat", priority_rank=0, has_critical=True
            )
            order.priority, order.priority_rank, order.has_critical = "stat", 0, True
        audit.record(
            "diagnostics.ecg.record",
            actor=actor,
            target=recording,
            institution=recording.site_id,
            after={
                "order": str(order.external_id),
                "source": kind,
                "heart_rate": m.heart_rate,
                "flags": m.flags,
            },
        )
    return recording


def proposed_finding(recording: EcgRecording) -> str:
    return "；".join(rules.FLAGS[f].finding for f in recording.flags if f in rules.FLAGS)


def do_decide_ecg_proposal(
    *, actor: Any, recording: EcgRecording, confirm: bool, finding: str = ""
) -> EcgRecording:
    """The reader confirms the machine's proposal (a critical result is raised at once, with
    the reader as its author) or dismisses it. Either way the decision is audited."""
    from lianxin.diagnostics.actions.critical import do_raise_critical_result

    order = recording.order
    if not access_for(actor).has_perm(Perm.PERFORM_SERVICE, order.performer_institution_id):
        raise NotAllowed(_("Only the ECG centre reading this study decides."))
    with transaction.atomic():
        locked = EcgRecording.objects.select_for_update().get(pk=recording.pk)
        if locked.proposal != Proposal.PROPOSED:
            raise ActionError(_("There is no proposal waiting on this ECG."))
        locked.proposal = Proposal.CONFIRMED if confirm else Proposal.DISMISSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["proposal", "decided_by", "decided_at", "updated_at"])
        if confirm:
            sources = {rules.FLAGS[f].source for f in locked.flags if f in rules.FLAGS}
            do_raise_critical_result(
                actor=actor,
                order=order,
                finding=(finding or proposed_finding(locked))[:200],
                source="; ".join(sorted(sources))[:200],
            )
        audit.record(
            "diagnostics.ecg.proposal",
            actor=actor,
            target=locked,
            institution=order.performer_institution_id,
            after={"decision": locked.proposal, "flags": locked.flags},
        )
    return locked
