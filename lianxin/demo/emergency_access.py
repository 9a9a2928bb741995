"""Demo step "break-glass": one emergency access, taken through the action.

The county specialist opens the record of a village resident outside their scope (no referral,
no care relationship) with a reason, as happens when a patient arrives unconscious; the access is
audited and lasts its four hours, so the patient page, the audit log and the patient's own
history show what break-glass looks like.
"""

from __future__ import annotations

from typing import Any

from lianxin.patients.actions import do_break_glass
from lianxin.patients.models import Patient

REASON = "患者昏迷由120送至急诊，无法问询病史，调阅基层既往记录"


def build_break_glass(county: Any) -> None:
    account = county.accounts.get("specialist")
    if account is None:
        return
    user, _role, institution = account
    outside = (
        Patient.objects.exclude(pk__in=Patient.objects.visible_to(user).values("pk"))
        .order_by("pk")
        .first()
    )
    if outside is not None:
        do_break_glass(actor=user, patient=outside, institution=institution, reason=REASON)
