"""Writes the interfaces make: the audit rows of what external systems read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.permissions import Perm


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


def hl7_admin_institution_ids(actor: Any) -> set[int] | None:
    """Whose HL7 messages ``actor`` administers: every one (``None``) for a network
    administrator, else the laboratory systems of the institutions they administer."""
    access = access_for(actor)
    if access.is_superuser or access.institutions_with(Perm.MANAGE_NETWORK):
        return None
    return set(access.institutions_with(Perm.MANAGE_INSTITUTION))


def do_rerun_hl7_message(*, actor: Any, message: Any) -> Any:
    """Handle a failed inbound message again (after its mapping or order was fixed). The new
    attempt is a log row of its own pointing at the failed one; an AA resolves the failed one."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from lianxin.core.errors import ActionError
    from lianxin.interfaces.hl7.inbound import handle_text
    from lianxin.interfaces.models import Direction, Outcome

    if message.direction != Direction.IN or message.outcome not in (Outcome.AE, Outcome.AR):
        raise ActionError(_("Only a failed incoming message can be re-run."))
    if message.resolved_at is not None:
        raise ActionError(_("This message has already been re-run successfully."))
    with transaction.atomic():
        result = handle_text(message.raw, rerun_of=message)
        if result.outcome == Outcome.AA:
            message.resolved_at = timezone.now()
            message.save(update_fields=["resolved_at"])
        audit.record(
            "interfaces.hl7.rerun",
            actor=actor,
            target=message,
            target_type="interfaces.hl7message",
            target_id=str(message.pk),
            institution=message.peer.institution_id if message.peer else None,
            after={"outcome": result.outcome, "error": result.text[:200]},
        )
    return result


def record_hl7_message_read(*, actor: Any, message: Any) -> None:
    """A raw message holds a patient's identity and results: opening it is an audited read."""
    with transaction.atomic():
        audit.record(
            "interfaces.hl7.view",
            actor=actor,
            target_type="interfaces.hl7message",
            target_id=str(message.pk),
            institution=message.peer.institution_id if message.peer else None,
            after={"control_id": message.control_id, "sender": message.sender},
        )


# A viewer fetches a study's instances one request at a time: one read row per user and study
# within this window, not one per slice.
STUDY_READ_WINDOW_SECONDS = 600


def record_study_read(*, actor: Any, study: Any, channel: str) -> None:
    """Opening a study's images or metadata is a read of the patient's record (DESIGN §5):
    ``patient.read`` for a linked study, ``interfaces.study.read`` for one still unlinked."""
    import datetime

    from django.utils import timezone

    from lianxin.core.models import AuditEvent

    patient = study.patient
    action = "patient.read" if patient is not None else "interfaces.study.read"
    target_type = "patients.patient" if patient is not None else "interfaces.study"
    target_id = str(patient.external_id if patient is not None else study.external_id)
    since = timezone.now() - datetime.timedelta(seconds=STUDY_READ_WINDOW_SECONDS)
    recent = AuditEvent.objects.filter(
        action=action,
        target_type=target_type,
        target_id=target_id,
        actor_id=getattr(actor, "pk", None),
        at__gte=since,
    ).values_list("after", flat=True)
    study_id = str(study.external_id)
    if any(
        (row or {}).get("study") == study_id and (row or {}).get("channel") == channel
        for row in recent
    ):
        return
    clinical = access_for(actor).clinical_institution_ids
    with transaction.atomic():
        audit.record(
            action,
            actor=actor,
            institution=min(clinical) if clinical else None,
            target_type=target_type,
            target_id=target_id,
            after={"channel": channel, "study": study_id, "study_uid": study.study_uid},
        )


def record_study_search(*, actor: Any, studies: Sequence[Any], channel: str) -> None:
    """One ``patient.list`` row for a page of studies (or their series or instances) listed to
    a client: which patients and studies were shown to whom."""
    rows = list({study.pk: study for study in studies}.values())
    if not rows:
        return
    clinical = access_for(actor).clinical_institution_ids
    with transaction.atomic():
        audit.record(
            "patient.list",
            actor=actor,
            institution=min(clinical) if clinical else None,
            target_type="patients.patient",
            after={
                "channel": channel,
                "patients": sorted({str(s.patient.external_id) for s in rows if s.patient}),
                "studies": [str(s.external_id) for s in rows[:200]],
                "count": len(rows),
            },
        )
