"""The specimens page as each persona: the ordering site and the pathology centre list their
specimens (frozen sections first), scan a barcode to record its next step, label a specimen
from the pathology order page and print its label; another institution gets nothing or a 404,
the health commission no page, anonymous visitors the login. Bad scans change nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.diagnostics import actions
from lianxin.diagnostics.models import Specimen
from lianxin.diagnostics.tests.helpers import order

pytestmark = pytest.mark.django_db

LIST = reverse("diagnostics:specimens")
ADVANCE = reverse("diagnostics:specimen-advance")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _specimen(personas, barcode: str, *, code: str = "BIOPSY", frozen: bool = False, **kw):
    return actions.do_register_specimen(
        actor=personas.doctor,
        order=order(personas, code),
        barcode=barcode,
        site=kw.get("site", "胃窦"),
        frozen_section=frozen,
    )


def _label_url(specimen: Specimen) -> str:
    return reverse("diagnostics:specimen-label", kwargs={"id": specimen.external_id})


def test_anonymous_visitors_are_sent_to_the_login(client, personas, centre, pathology):
    specimen = _specimen(personas, "BL-1000")
    for response in (
        client.get(LIST),
        client.get(_label_url(specimen)),
        client.post(ADVANCE, {"barcode": "BL-1000", "to": "sent"}),
    ):
        assert response.status_code == 302 and "/login" in response["Location"]
    assert Specimen.objects.get(pk=specimen.pk).status == "collected"


def test_the_site_and_the_centre_list_their_specimens_and_no_one_else(personas, centre, pathology):
    specimen = _specimen(personas, "BL-1001")
    for client in (personas.client("doctor"), _client(centre.resident)):
        page = client.get(LIST)
        assert page.status_code == 200 and "BL-1001" in page.content.decode()
    outsider = personas.client("outsider")
    assert "BL-1001" not in outsider.get(LIST).content.decode()
    body = outsider.get(LIST + "?barcode=BL-1001").content.decode()
    assert "No specimen with the barcode BL-1001 in your records." in body
    assert "胃窦" not in body
    assert outsider.get(_label_url(specimen)).status_code == 404
    assert personas.client("commission").get(LIST).status_code == 403
    assert personas.client("commission").get(_label_url(specimen)).status_code == 404


def test_the_page_is_reachable_from_the_diagnostics_tabs(personas, centre):
    page = personas.client("doctor").get(reverse("diagnostics:orders"))
    assert f'href="{LIST}"' in page.content.decode()


def test_frozen_sections_come_first_and_are_flagged_urgent(personas, centre, pathology):
    _specimen(personas, "BL-1002")
    _specimen(personas, "FS-1003", code="FROZEN", site="甲状腺")
    body = personas.client("doctor").get(LIST).content.decode()
    assert body.index("FS-1003") < body.index("BL-1002")
    row = body[body.index("FS-1003") : body.index("BL-1002")]
    assert "frozen section" in row and "urgent" in row


def test_the_list_filters_by_state_and_ordering_site(personas, centre, pathology):
    _specimen(personas, "BL-1004")
    sent = _specimen(personas, "BL-1005")
    actions.do_advance_specimen(actor=personas.doctor, barcode=sent.barcode, to="sent")
    client = _client(centre.resident)
    body = client.get(LIST + "?state=sent").content.decode()
    assert "BL-1005" in body and "BL-1004" not in body
    site = personas.township_a.external_id
    body = client.get(f"{LIST}?state=all&site={site}").content.decode()
    assert "BL-1005" in body and "BL-1004" in body
    body = client.get(f"{LIST}?site={personas.county_b.external_id}").content.decode()
    assert "BL-1004" not in body
    # Nonsense filters fall back to the defaults instead of failing.
    page = client.get(LIST + "?state=nonsense&site=not-a-uuid&page=x")
    assert page.status_code == 200 and "BL-1004" in page.content.decode()


def test_the_list_takes_a_bounded_number_of_queries(
    personas, centre, pathology, django_assert_max_num_queries
):
    client = _client(centre.resident)
    _specimen(personas, "BL-1010")
    # The page's own queries plus the audited read of the patients it lists (head, row, head).
    with django_assert_max_num_queries(15) as few:
        client.get(LIST)
    for n in range(1011, 1017):
        _specimen(personas, f"BL-{n}", frozen=n % 2 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(LIST)
    assert page.content.decode().count("/label/") == 7


def test_scanning_a_barcode_offers_the_next_step_and_records_it(personas, centre, pathology):
    specimen = _specimen(personas, "BL-1020")
    site, lab = personas.client("doctor"), _client(centre.resident)
    # A scanner types the barcode (in any case) and Enter: the page offers the next step.
    body = site.get(LIST + "?barcode=bl-1020").content.decode()
    assert "Record: Sent" in body and 'name="to" value="sent"' in body
    body = lab.get(LIST + "?barcode=BL-1020").content.decode()
    assert "The next step, Sent, is recorded by the other party." in body
    # htmx asks for the scan result only.
    fragment = site.get(LIST + "?barcode=BL-1020", headers={"HX-Request": "true"})
    assert "Record: Sent" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    response = site.post(ADVANCE, {"barcode": "BL-1020", "to": "sent"}, follow=True)
    assert "Specimen BL-1020: Sent recorded." in response.content.decode()
    assert Specimen.objects.get(pk=specimen.pk).status == "sent"
    assert "Record: Received" in lab.get(LIST + "?barcode=BL-1020").content.decode()
    for step in ("received", "processed", "reported"):
        lab.post(ADVANCE, {"barcode": "BL-1020", "to": step})
    specimen.refresh_from_db()
    assert specimen.status == "reported" and specimen.reported_at is not None
    assert "All steps are recorded." in lab.get(LIST + "?barcode=BL-1020").content.decode()


def test_an_unknown_barcode_gets_a_clear_message_and_changes_nothing(personas, centre, pathology):
    specimen = _specimen(personas, "BL-1030")
    client = personas.client("doctor")
    body = client.get(LIST + "?barcode=XX-9999").content.decode()
    assert "No specimen with the barcode XX-9999 in your records." in body
    assert "Scan or type a barcode." in client.get(LIST + "?barcode=+").content.decode()
    response = client.post(ADVANCE, {"barcode": "XX-9999", "to": "sent"}, follow=True)
    assert response.status_code == 200
    assert "No such specimen in your records." in response.content.decode()
    # Another institution's barcode is unknown to an outsider too.
    response = personas.client("outsider").post(
        ADVANCE, {"barcode": "BL-1030", "to": "sent"}, follow=True
    )
    assert "No such specimen in your records." in response.content.decode()
    assert Specimen.objects.get(pk=specimen.pk).status == "collected"


def test_a_step_the_state_does_not_allow_is_refused_and_changes_nothing(
    personas, centre, pathology
):
    specimen = _specimen(personas, "BL-1040")
    site, lab = personas.client("doctor"), _client(centre.resident)
    response = lab.post(ADVANCE, {"barcode": "BL-1040", "to": "processed"}, follow=True)
    assert (
        "Specimen BL-1040 is collected; its next step is sent, not processed."
        in response.content.decode()
    )
    response = lab.post(ADVANCE, {"barcode": "BL-1040", "to": "sent"}, follow=True)
    assert "This step is recorded by the other party." in response.content.decode()
    response = site.post(ADVANCE, {"barcode": "BL-1040", "to": "lost"}, follow=True)
    assert "Choose sent, received, processed or reported." in response.content.decode()
    assert site.get(ADVANCE).status_code == 405
    specimen.refresh_from_db()
    assert specimen.status == "collected" and specimen.sent_at is None


def test_a_specimen_is_labelled_from_the_pathology_order_page(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    detail = reverse("diagnostics:order-detail", kwargs={"id": item.external_id})
    register = reverse("diagnostics:specimen-register", kwargs={"id": item.external_id})
    site = personas.client("doctor")
    body = site.get(detail).content.decode()
    assert "Label specimen" in body and f'value="{item.accession_number}-1"' in body
    # The centre reads the order but does not label its specimens.
    assert "Label specimen" not in _client(centre.resident).get(detail).content.decode()
    response = site.post(
        register, {"barcode": f"{item.accession_number}-1", "site": "胃窦"}, follow=True
    )
    assert f"Specimen {item.accession_number}-1 labelled." in response.content.decode()
    specimen = Specimen.objects.get()
    assert specimen.order == item and specimen.site == "胃窦"
    assert f'value="{item.accession_number}-2"' in site.get(detail).content.decode()


def test_bad_labels_are_refused_and_change_nothing(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    register = reverse("diagnostics:specimen-register", kwargs={"id": item.external_id})
    site = personas.client("doctor")
    response = site.post(register, {"barcode": "x", "site": "胃"}, follow=True)
    assert "A barcode has 6 to 32 letters, digits or dashes." in response.content.decode()
    response = site.post(register, {"barcode": "BL-2000", "site": " "}, follow=True)
    assert "Name the anatomical site." in response.content.decode()
    ct = order(personas, "CT-CHEST")
    ct_register = reverse("diagnostics:specimen-register", kwargs={"id": ct.external_id})
    response = site.post(ct_register, {"barcode": "BL-2001", "site": "胸"}, follow=True)
    assert "Only pathology orders have specimens." in response.content.decode()
    assert (
        "Label specimen"
        not in site.get(
            reverse("diagnostics:order-detail", kwargs={"id": ct.external_id})
        ).content.decode()
    )
    assert (
        personas.client("outsider").post(register, {"barcode": "BL-2002", "site": "胃"}).status_code
        == 404
    )
    response = _client(centre.resident).post(
        register, {"barcode": "BL-2003", "site": "胃"}, follow=True
    )
    assert "Only the ordering site labels specimens." in response.content.decode()
    assert not Specimen.objects.exists()


def test_a_frozen_section_is_labelled_urgent_from_the_page(personas, centre, pathology):
    item = order(personas, "BIOPSY")
    register = reverse("diagnostics:specimen-register", kwargs={"id": item.external_id})
    personas.client("doctor").post(
        register, {"barcode": "FS-3000", "site": "甲状腺", "frozen_section": "1"}
    )
    specimen = Specimen.objects.get()
    assert specimen.is_frozen_section
    item.refresh_from_db()
    assert item.priority == "urgent"


def test_the_label_prints_as_a_pdf_with_its_barcode(personas, centre, pathology):
    from lianxin.diagnostics.printing import FontUnavailable, find_font

    specimen = _specimen(personas, "BL-4000", frozen=True)
    url = _label_url(specimen)
    try:
        find_font()
    except FontUnavailable:
        assert personas.client("doctor").get(url).status_code == 503
        return
    for client in (personas.client("doctor"), _client(centre.resident)):
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert response["Content-Type"] == "application/pdf"
    from io import BytesIO

    from pypdf import PdfReader

    page = PdfReader(BytesIO(response.content)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 62
    assert round(float(page.mediabox.height) / 72 * 25.4) == 29
    text = page.extract_text()
    assert "BL-4000" in text and "胃窦" in text and "冰冻" in text
