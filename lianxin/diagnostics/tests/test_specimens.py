"""Pathology specimens by barcode: each step in turn, by the right party; frozen sections
urgent; a PDF of the signed report."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianxin.core.errors import Conflict, NotAllowed
from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.tests.helpers import order, reported

pytestmark = pytest.mark.django_db


def test_a_specimen_goes_through_every_step_in_turn(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    specimen = actions.do_register_specimen(
        actor=personas.doctor, order=item, barcode="bl-0001", site="胃窦"
    )
    assert specimen.barcode == "BL-0001" and specimen.status == "collected"
    with pytest.raises(Conflict):
        actions.do_advance_specimen(actor=centre.resident, barcode="BL-0001", to="received")
    with pytest.raises(NotAllowed):
        actions.do_advance_specimen(actor=centre.resident, barcode="BL-0001", to="sent")
    actions.do_advance_specimen(actor=personas.doctor, barcode="BL-0001", to="sent")
    with pytest.raises(NotAllowed):
        actions.do_advance_specimen(actor=personas.doctor, barcode="BL-0001", to="received")
    for step in ("received", "processed", "reported"):
        specimen = actions.do_advance_specimen(actor=centre.resident, barcode="BL-0001", to=step)
    assert specimen.status == "reported" and specimen.received_at and specimen.reported_at
    with pytest.raises(ValidationError):
        actions.do_advance_specimen(actor=personas.outsider, barcode="BL-0001", to="reported")


def test_barcodes_are_unique_and_well_formed(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    actions.do_register_specimen(actor=personas.doctor, order=item, barcode="BL-0002", site="胃")
    with pytest.raises(ValidationError):
        actions.do_register_specimen(
            actor=personas.doctor, order=item, barcode="BL-0002", site="胃"
        )
    with pytest.raises(ValidationError):
        actions.do_register_specimen(actor=personas.doctor, order=item, barcode="x", site="胃")
    with pytest.raises(ValidationError):
        actions.do_register_specimen(
            actor=personas.doctor, order=order(personas, "CT-CHEST"), barcode="CT-0001", site="胸"
        )


def test_a_frozen_section_makes_the_order_urgent(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    assert item.priority == "routine"
    specimen = actions.do_register_specimen(
        actor=personas.doctor, order=item, barcode="FS-0001", site="甲状腺", frozen_section=True
    )
    assert specimen.is_frozen_section
    assert ExamOrder.objects.get(pk=item.pk).priority == "urgent"


def test_the_signed_report_prints_as_a_pdf(personas, centre, settings):
    from lianxin.diagnostics.printing import FontUnavailable, find_font

    item = reported(personas, centre)
    url = reverse("diagnostics:order-print", kwargs={"id": item.external_id})
    try:
        find_font()
    except FontUnavailable:
        assert personas.client("doctor").get(url).status_code == 503
        return
    response = personas.client("doctor").get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert personas.client("outsider").get(url).status_code == 404


def test_an_unsigned_order_has_nothing_to_print(personas, centre):
    item = order(personas)
    url = reverse("diagnostics:order-print", kwargs={"id": item.external_id})
    assert personas.client("doctor").get(url).status_code == 409


def test_specimens_through_the_api(personas, centre, pathology):
    from rest_framework.test import APIClient

    item = order(personas, "BIOPSY")
    site, lab = APIClient(), APIClient()
    site.force_authenticate(personas.doctor)
    lab.force_authenticate(centre.resident)
    body = {"order": str(item.external_id), "barcode": "BL-0100", "site": "胃窦"}
    assert site.post("/api/specimens/", body, format="json").status_code == 201
    assert site.post("/api/specimens/", body, format="json").status_code == 400
    scan = "/api/specimens/scan/"
    assert lab.post(scan, {"barcode": "BL-0100", "to": "received"}).status_code == 409
    assert lab.post(scan, {"barcode": "BL-0100", "to": "sent"}).status_code == 403
    assert site.post(scan, {"barcode": "BL-0100", "to": "sent"}).status_code == 200
    received = lab.post(scan, {"barcode": "BL-0100", "to": "received"})
    assert received.status_code == 200 and received.json()["status"] == "received"
    outsider = APIClient()
    outsider.force_authenticate(personas.outsider)
    assert outsider.get("/api/specimens/").json()["results"] == []
    assert outsider.post(scan, {"barcode": "BL-0100", "to": "processed"}).status_code == 400


def test_a_reported_specimen_has_no_further_step(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    actions.do_register_specimen(actor=personas.doctor, order=item, barcode="BL-0200", site="胃")
    actions.do_advance_specimen(actor=personas.doctor, barcode="BL-0200", to="sent")
    for step in ("received", "processed", "reported"):
        actions.do_advance_specimen(actor=centre.resident, barcode="BL-0200", to=step)
    with pytest.raises(Conflict, match="already reported"):
        actions.do_advance_specimen(actor=centre.resident, barcode="BL-0200", to="reported")


def test_a_step_out_of_turn_names_the_next_one(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    actions.do_register_specimen(actor=personas.doctor, order=item, barcode="BL-0201", site="胃")
    actions.do_advance_specimen(actor=personas.doctor, barcode="BL-0201", to="sent")
    with pytest.raises(Conflict, match="is sent; its next step is received, not processed"):
        actions.do_advance_specimen(actor=centre.resident, barcode="BL-0201", to="processed")


def _decode(modules: str) -> str:
    """Read the modules back with python-barcode's own pattern table (sets B and C)."""
    from barcode.charsets.code128 import CODES

    by_bits = {bits: value for value, bits in enumerate(CODES)}
    values = [by_bits[modules[i : i + 11]] for i in range(0, len(modules) - 13, 11)]
    checksum = values.pop()
    assert checksum == (values[0] + sum(i * v for i, v in enumerate(values[1:], 1))) % 103
    text, mode = "", {104: "B", 105: "C"}[values[0]]
    for value in values[1:]:
        if value in (99, 100):
            mode = "C" if value == 99 else "B"
        else:
            text += f"{value:02d}" if mode == "C" else chr(value + 32)
    return text


@pytest.mark.parametrize("text", ["BL-0001", "PA2611230001-1", "123456", "A12345B-9", "12"])
def test_the_label_barcode_reads_back_as_the_specimen_code(text):
    from lianxin.core.barcodes import code128_modules

    modules = code128_modules(text)
    assert modules.endswith("1100011101011")  # stop and termination bar
    assert _decode(modules) == text


def test_a_label_barcode_refuses_characters_code_128_cannot_carry():
    from lianxin.core.barcodes import code128_modules

    with pytest.raises(ValueError):
        code128_modules("标本-1")
