"""Demo step "specimens": pathology specimens of the open pathology orders, through the actions.

The diagnostics step leaves the last hours' exams open; for those of the pathology centre the
ordering doctor labels the specimens (``do_register_specimen``) and some are scanned on their way
(sent by the site, received by the county's centre), so the specimen browser shows specimens in
several states and the audit log their steps.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import ValidationError

from lianxin.core.errors import ActionError
from lianxin.core.workflow import OPEN_STATUSES
from lianxin.demo.registry import register_step
from lianxin.diagnostics.actions import do_advance_specimen, do_register_specimen
from lianxin.diagnostics.models import ExamOrder

SITES = ("胃窦", "结肠", "甲状腺左叶", "乳腺右上象限", "宫颈")
ORDERS = 12


def build_specimens(county: Any) -> int:
    receiver = county.accounts.get("imaging", (None,))[0]
    orders = (
        ExamOrder.objects.filter(centre_type="pathology", status__in=OPEN_STATUSES)
        .exclude(requester=None)
        .select_related("requester")
        .order_by("-created_at")[:ORDERS]
    )
    labelled = 0
    for n, order in enumerate(orders):
        with contextlib.suppress(ValidationError, ActionError):
            specimen = do_register_specimen(
                actor=order.requester,
                order=order,
                barcode=f"{order.accession_number}-1",
                site=SITES[n % len(SITES)],
                frozen_section=order.exam.code == "FROZEN" if order.exam_id else False,
            )
            labelled += 1
            if n % 3 == 0:
                continue  # collected, waiting to be sent
            do_advance_specimen(actor=order.requester, barcode=specimen.barcode, to="sent")
            if n % 3 == 2 and receiver is not None:
                do_advance_specimen(actor=receiver, barcode=specimen.barcode, to="received")
    return labelled


# After "diagnostics" (120), before the inbox and the audit history.
register_step("specimens", build_specimens, order=125)
