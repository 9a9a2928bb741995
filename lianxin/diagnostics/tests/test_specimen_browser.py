"""A person at the pathology desk with a barcode scanner (Debian's Chromium): the scanner types
the barcode and Enter, the specimen appears with its next step focused, a second Enter records
it and the field is ready for the next label."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from lianxin.diagnostics import actions
from lianxin.diagnostics.models import Specimen
from lianxin.diagnostics.tests.helpers import order
from lianxin.patients.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # Database work in the test body ran inside Playwright's greenlet, which Django's
            # connection handler counts as a context of its own: close that context's connection
            # here, or its session outlives the run and blocks dropping the test database.
            connections.close_all()


def test_a_scanned_barcode_offers_its_next_step_and_enter_records_it(
    live_server, personas, centre, pathology, browser_page
):
    from playwright.sync_api import expect

    specimen = actions.do_register_specimen(
        actor=personas.doctor, order=order(personas, "BIOPSY"), barcode="BL-5000", site="胃窦"
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "doctor")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/diagnostics/specimens/")
    # The field has the focus: the scanner types into it and ends with Enter. The browser
    # applies autofocus at its next rendering step, which a loaded machine may run after the
    # load event: wait for the focus as a scanning user would, instead of typing into nothing.
    expect(page.locator("input[name=barcode]")).to_be_focused()
    page.keyboard.type("bl-5000")
    page.keyboard.press("Enter")
    # htmx puts the specimen in place; its next step's button takes the focus.
    # The focus moves after the swap settles, a moment later on a loaded machine: wait for it.
    # (A locator assertion, not wait_for_function: a string predicate is evaluated with eval,
    # which the page's Content-Security-Policy refuses.)
    expect(page.locator("#scan form button[type=submit]")).to_be_focused()
    assert page.input_value("input[name=barcode]") == ""
    if os.environ.get("LIANXIN_SCREENSHOT"):
        page.screenshot(path=os.environ["LIANXIN_SCREENSHOT"], full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages li.success")
    assert Specimen.objects.get(pk=specimen.pk).status == "sent"
    # Back to the field for the next label.
    expect(page.locator("input[name=barcode]")).to_be_focused()
    page.keyboard.type("XX-0000")
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan .errors")
    assert "XX-0000" in page.inner_text("#scan .errors")
