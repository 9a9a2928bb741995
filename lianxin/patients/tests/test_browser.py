"""A person at a browser: sign in, find a patient, open the patient page (Debian's Chromium)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

# Flags for a closed network: no background calls home, no sandbox as root in CI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are ordinary synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_a_doctor_signs_in_finds_a_patient_and_opens_the_record(
    live_server, personas, browser_page
):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "doctor")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/patients/")
    page.fill("#patient-q", "张")
    # htmx replaces the result list as the person types.
    page.wait_for_selector("#patient-results a:has-text('张三')")
    masked = page.inner_text("#patient-results .id-number")
    assert "*" in masked and personas.patient.id_number not in masked

    page.click("#patient-results a:has-text('张三')")
    page.wait_for_url(f"**/patients/{personas.patient.external_id}/")
    assert page.inner_text("h1").startswith("张三")
    assert personas.patient.id_number in page.inner_text(".patient-demographics")
    if os.environ.get("LIANXIN_SCREENSHOT"):
        page.screenshot(path=os.environ["LIANXIN_SCREENSHOT"], full_page=True)
