"""Short ways to bring an exam order to a given step in tests."""

from __future__ import annotations

from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ExamItem, ExamOrder


def order(personas, code: str = "CT-CHEST", **kwargs) -> ExamOrder:
    return actions.do_order_exam(
        actor=personas.doctor,
        patient=personas.patient,
        exam=ExamItem.objects.get(code=code),
        **kwargs,
    )


def performed(personas, centre, code: str = "CT-CHEST", **kwargs) -> ExamOrder:
    item = order(personas, code, **kwargs)
    return actions.do_perform_exam(actor=centre.resident, order=item, image_count=120)


def claimed(personas, centre, code: str = "CT-CHEST", reader=None, **kwargs) -> ExamOrder:
    item = performed(personas, centre, code, **kwargs)
    return actions.do_claim_study(actor=reader or centre.resident, order=item)


def drafted(personas, centre, code: str = "CT-CHEST", values=(), **kwargs) -> ExamOrder:
    item = claimed(personas, centre, code, **kwargs)
    actions.do_draft_report(
        actor=centre.resident,
        order=item,
        findings={"肺窗": "双肺纹理清晰"},
        impression="胸部CT未见明显异常",
        values=values,
    )
    return item


def reported(personas, centre, code: str = "CT-CHEST", values=(), **kwargs) -> ExamOrder:
    item = drafted(personas, centre, code, values=values, **kwargs)
    actions.do_sign_report(actor=centre.attending, order=item)
    item.refresh_from_db()
    return item
