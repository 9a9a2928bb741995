"""Background work of the interfaces app (django-tasks; ``lianxin worker`` runs it)."""

from __future__ import annotations

from django_tasks import default_task_backend, task

from lianxin.interfaces.hl7 import outbound
from lianxin.interfaces.models import Hl7Message


@task()
def deliver_order_message(message_id: int) -> str:
    """One attempt to deliver an order to its laboratory system. A lost connection is tried
    again after the backoff: by a deferred task where the backend defers, otherwise by the
    sweep that the HL7 listener runs (``outbound.deliver_due``)."""
    message = Hl7Message.objects.select_related("peer", "order").filter(pk=message_id).first()
    if message is None:
        return "gone"
    message = outbound.attempt(message)
    if not message.outcome and message.next_attempt_at and default_task_backend.supports_defer:
        deliver_order_message.using(run_after=message.next_attempt_at).enqueue(message_id)
    return message.outcome or "retrying"


# A lost connection to the archive is tried again after this long.
ARCHIVE_RETRY_SECONDS = 60


@task()
def forward_instance(instance_id: int) -> str:
    """Send one stored instance to Orthanc, the archive behind Lianxin, and once Orthanc holds it
    keep Orthanc's ID on the index row (``dicom.archive``)."""
    import datetime
    import logging

    from django.utils import timezone

    from lianxin.interfaces.dicom import archive
    from lianxin.interfaces.models import Instance

    instance = Instance.objects.filter(pk=instance_id).first()
    if instance is None:
        return "gone"
    if instance.archive_id:
        return instance.archive_id
    if not archive.orthanc_url():
        return "no archive"
    try:
        archive_id = archive.forward(instance)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "forwarding %s to Orthanc failed: %s", instance.sop_instance_uid, exc
        )
        if default_task_backend.supports_defer:
            later = timezone.now() + datetime.timedelta(seconds=ARCHIVE_RETRY_SECONDS)
            forward_instance.using(run_after=later).enqueue(instance_id)
        return "retrying"
    Instance.objects.filter(pk=instance.pk).update(archive_id=archive_id)
    archive.release_local_copy(instance)
    return archive_id


def forward_stored_instance(sender, instance, **kwargs) -> None:
    """``instance_stored`` receiver: with an archive configured, forward what arrived."""
    from lianxin.interfaces.dicom.archive import orthanc_url

    if orthanc_url():
        forward_instance.enqueue(instance.pk)


def forward_pending(limit: int = 10_000) -> int:
    """Enqueue the instances not yet in the archive (after an outage longer than the retries,
    or when an archive is added to a running site)."""
    from lianxin.interfaces.models import Instance

    ids = list(
        Instance.objects.filter(archive_id="").order_by("id").values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        forward_instance.enqueue(pk)
    return len(ids)
