"""A laboratory order placed in Lianxin goes to the laboratory system of its centre, after the
order's commit, as a background task."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from lianxin.network.models import CentreType

log = logging.getLogger(__name__)


def order_created(sender: Any, item: Any, record: Any, **kwargs: Any) -> None:
    if record.name != "create" or getattr(item, "centre_type", None) != CentreType.LABORATORY:
        return
    from lianxin.interfaces.hl7.outbound import queue_order
    from lianxin.interfaces.tasks import deliver_order_message

    message = queue_order(item)
    if message is not None:
        transaction.on_commit(lambda: deliver_order_message.enqueue(message.pk), robust=True)


def connect() -> None:
    from lianxin.core.workflow.signals import workflow_transitioned
    from lianxin.diagnostics.models import ExamOrder

    workflow_transitioned.connect(order_created, sender=ExamOrder, dispatch_uid="hl7-order-out")
