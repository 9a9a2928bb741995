"""The issue desk with a keyboard-wedge scanner (Debian's Chromium): the branch is chosen once,
the scanner types each barcode and Enter, each pack's answer appears on top and the field is empty
and focused for the next; an unknown code and a second scan of the same pack say so and change
nothing."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from lianxin.patients.tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from lianxin.sterile.models import Pack, PackEvent
from lianxin.sterile.rules import PackStatus, Step
from lianxin.sterile.tests.conftest import at, new_pack, sterilise

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
            connections.close_all()


def _scan(page, code: str) -> None:
    # The page's CSP forbids eval: wait with a selector, not a JavaScript predicate.
    page.wait_for_selector("input[name=barcode]:focus")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_the_issue_desk_scans_pack_after_pack_and_refuses_what_it_must(
    live_server, personas, cssd, browser_page
):
    for code in ("XD-600001", "XD-600002"):
        new_pack(cssd, personas, code)
    sterilise(cssd, ["XD-600001", "XD-600002"], at())
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "cssd")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/sterile/scan/issue/")
    page.select_option("select[name=branch]", str(personas.township_a.external_id))
    page.focus("input[name=barcode]")
    _scan(page, "xd-600001")
    page.wait_for_selector("#scan-results .success")
    assert "XD-600001" in page.inner_text("#scan-results .success")
    assert page.input_value("input[name=barcode]") == ""
    _scan(page, "XD-600002")
    page.locator("#scan-results .success").nth(1).wait_for()
    assert "XD-600002" in page.inner_text("#scan-results p:first-child")
    assert set(Pack.objects.values_list("status", flat=True)) == {PackStatus.ISSUED}
    if os.environ.get("LIANXIN_SCREENSHOT"):
        page.screenshot(path=os.environ["LIANXIN_SCREENSHOT"], full_page=True)

    _scan(page, "XD-999999")
    page.wait_for_selector("#scan-results .errors")
    assert "XD-999999" in page.inner_text("#scan-results p:first-child")
    _scan(page, "XD-600001")
    page.locator("#scan-results .errors").nth(1).wait_for()
    assert "XD-600001" in page.inner_text("#scan-results p:first-child")
    assert PackEvent.objects.filter(step=Step.ISSUE).count() == 2
    assert page.evaluate("document.activeElement.name") == "barcode"
