"""The reading viewer in Debian's Chromium: a reader opens the order page of a CT and of an MR
whose images came in through the real storage path (``ingest.store``, as C-STORE does); dwv
draws them from Lianxin's WADO-URI with the reader's session, the canvas carries the image
(its pixels vary, it is not an empty canvas), a window preset or a window/level drag changes the
pixels, the keyboard moves through the slices, and the prior study opens beside it."""

from __future__ import annotations

import datetime
import os
from io import BytesIO

import pytest
from django.db import connections
from pydicom import dcmread

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.dicom import ingest, samples
from lianxin.patients.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

# Standard deviation of the drawn pixels' grey values (0-255) above which the canvas carries
# an image: an empty or uniformly filled canvas has 0; the bundled CT and MR draw 40-70.
MIN_STDDEV = 10

# The view layer's canvas as grey values: mean, standard deviation and a digest to compare.
CANVAS_STATS = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas || !canvas.width) return null;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0, sum = 0, squares = 0, digest = 0;
  for (let i = 0; i < data.length; i += 4) {
    const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
    n += 1; sum += grey; squares += grey * grey;
    digest = (digest * 31 + data[i]) % 1000000007;
  }
  const mean = sum / n;
  return {mean, stddev: Math.sqrt(squares / n - mean * mean), digest, w: canvas.width};
}"""


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(20_000)
        try:
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.on(
                "response",
                lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"),
            )
            page.on(
                "console",
                lambda msg: (
                    msg.type == "error"
                    and "favicon" not in msg.location.get("url", "")
                    and page.errors.append(f"{msg.text} {msg.location.get('url')}")
                ),
            )
            yield page
        finally:
            context.close()
            browser.close()
            connections.close_all()


def _store(raw: bytes, entity):
    ds = dcmread(BytesIO(raw))
    return ingest.store(
        raw,
        entity=entity,
        sop_class_uid=str(ds.SOPClassUID),
        sop_instance_uid=str(ds.SOPInstanceUID),
        transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
    ).instance


def _study(entity, item, modality, *, slices=1, date=datetime.date(2026, 12, 1)):
    labels = samples.Labels(
        patient_id="A1-000123",
        patient_name="ZHANG^SAN=张^三",
        accession=item.accession_number,
        study_date=date,
    )
    for raw in samples.series(modality, labels, slices=slices):
        _store(raw, entity)
    return item


def _wait_for_status(page, text):
    page.wait_for_function(
        "(t) => document.querySelector('[data-pane=current] .lx-status').textContent.includes(t)",
        arg=text,
    )


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _open(page, live_server, item):
    page.goto(f"{live_server.url}/diagnostics/orders/{item.external_id}/")
    try:
        page.wait_for_selector('[data-pane="current"][data-state="loaded"]')
    except Exception as exc:
        raise AssertionError(f"the viewer did not load: {page.errors}") from exc
    return page.evaluate(CANVAS_STATS, "#lx-view-current")


def test_the_reader_sees_the_ct_and_a_window_preset_changes_it(
    live_server, personas, centre, devices, media, tmp_path, browser_page
):
    prior = _study(devices.ct, order(personas, "CT-CHEST"), "CT", date=datetime.date(2026, 6, 1))
    item = _study(devices.ct, order(personas, "CT-CHEST"), "CT", slices=3)
    page = browser_page
    _sign_in(page, live_server, centre.resident.username)
    before = _open(page, live_server, item)
    assert before is not None and before["stddev"] > MIN_STDDEV, before
    pane = page.locator('[data-pane="current"]')
    assert (pane.get_attribute("data-slice"), pane.get_attribute("data-total")) == ("1", "3")
    # In Chinese, as the whole page (the script's few words come from the page's JSON).
    assert "图像 1 / 3 · 窗宽/窗位" in page.inner_text('[data-pane="current"] .lx-status')
    assert "肺窗" in page.inner_text("[data-preset]")

    page.select_option("[data-preset]", "lung")
    _wait_for_status(page, "1500 / -600")
    lung = page.evaluate(CANVAS_STATS, "#lx-view-current")
    assert lung["digest"] != before["digest"] and lung["stddev"] > MIN_STDDEV, (before, lung)
    page.select_option("[data-preset]", "bone")
    _wait_for_status(page, "1800 / 400")
    bone = page.evaluate(CANVAS_STATS, "#lx-view-current")
    assert bone["digest"] not in (before["digest"], lung["digest"])

    # The keyboard moves through the slices.
    page.focus(".lx-viewer")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector('[data-pane="current"][data-slice="2"]')

    # A length measurement: a ruler drawn on the image, labelled in millimetres.
    page.click('[data-tool="Draw"]')
    box = page.locator("#lx-view-current").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 60, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=6)
    page.mouse.up()
    page.wait_for_selector('[data-pane="current"][data-length]')
    length = page.get_attribute('[data-pane="current"]', "data-length")
    assert length.endswith("mm") and float(length.split()[0]) > 0, length
    assert length in page.inner_text('[data-pane="current"] .lx-status')

    # The prior study beside it.
    page.check("[data-compare]")
    page.wait_for_selector('[data-pane="prior"][data-state="loaded"]')
    assert page.evaluate(CANVAS_STATS, "#lx-view-prior")["stddev"] > MIN_STDDEV
    assert "2026-06-01" in page.inner_text('[data-pane="prior"] figcaption')
    assert prior.accession_number != item.accession_number
    if os.environ.get("LIANXIN_SCREENSHOT"):
        page.screenshot(path=os.environ["LIANXIN_SCREENSHOT"], full_page=True)
    assert not page.errors, page.errors


def test_the_reader_sees_the_mr_and_window_level_dragging_changes_it(
    live_server, personas, centre, devices, media, tmp_path, browser_page
):
    item = _study(devices.ct, order(personas, "MR-HEAD"), "MR")
    page = browser_page
    _sign_in(page, live_server, centre.resident.username)
    before = _open(page, live_server, item)
    assert before is not None and before["stddev"] > MIN_STDDEV, before
    status = page.inner_text('[data-pane="current"] .lx-status')

    page.click('[data-tool="WindowLevel"]')
    box = page.locator("#lx-view-current").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 60, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "(s) => document.querySelector('[data-pane=current] .lx-status').textContent !== s",
        arg=status,
    )
    after = page.evaluate(CANVAS_STATS, "#lx-view-current")
    assert after["digest"] != before["digest"], (before, after)
    page.select_option("[data-preset]", "minmax")
    full = page.evaluate(CANVAS_STATS, "#lx-view-current")
    assert full["stddev"] > MIN_STDDEV
    assert not page.errors, page.errors


def test_an_ultrasound_clip_compressed_in_jpeg_is_decoded_and_drawn(
    live_server, personas, centre, devices, media, browser_page
):
    # pydicom's bundled ultrasound: 30 frames in JPEG baseline, decoded in dwv's worker.
    item = _study(devices.ct, order(personas, "US-ABD"), "US")
    page = browser_page
    _sign_in(page, live_server, centre.resident.username)
    drawn = _open(page, live_server, item)
    assert drawn is not None and drawn["stddev"] > MIN_STDDEV, drawn
    pane = page.locator('[data-pane="current"]')
    assert pane.get_attribute("data-total") == "30"
    assert "30 frames" in page.inner_text(".lx-series") or "30 帧" in page.inner_text(".lx-series")
    # The CT presets (Hounsfield units) are not offered for an ultrasound.
    assert page.locator('[data-preset] option[value="lung"]').is_disabled()
    page.focus(".lx-viewer")
    page.keyboard.press("PageDown")
    page.wait_for_selector('[data-pane="current"][data-slice="2"]')
    assert not page.errors, page.errors


def _as_radiograph(raw: bytes) -> bytes:
    """A digital radiograph (DX, for presentation) in MONOCHROME1 as a DR writes it, made from
    the CT's pixels (pydicom bundles no radiograph): inverted values, no Hounsfield rescale."""
    from pydicom.uid import DigitalXRayImageStorageForPresentation

    ds = dcmread(BytesIO(raw))
    pixels = ds.pixel_array.astype("int32")
    inverted = (pixels.max() - pixels).astype("uint16")
    ds.SOPClassUID = DigitalXRayImageStorageForPresentation
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.Modality = "DX"
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.PixelRepresentation = 0
    ds.ImagerPixelSpacing = ds.PixelSpacing
    for keyword in ("RescaleIntercept", "RescaleSlope", "WindowCenter", "WindowWidth"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.PixelData = inverted.tobytes()
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_a_radiograph_in_monochrome1_is_drawn_and_the_wheel_and_zoom_work(
    live_server, personas, centre, devices, media, browser_page
):
    item = order(personas, "DR-CHEST")
    labels = samples.Labels(
        patient_id="A1-000123",
        patient_name="ZHANG^SAN=张^三",
        accession=item.accession_number,
        study_date=datetime.date(2026, 12, 1),
    )
    for raw in samples.series("CT", labels, slices=2):
        _store(_as_radiograph(raw), devices.ct)
    page = browser_page
    _sign_in(page, live_server, centre.resident.username)
    before = _open(page, live_server, item)
    assert before is not None and before["stddev"] > MIN_STDDEV, before
    assert page.get_attribute('[data-pane="current"]', "data-modality") == "DX"
    # The wheel (dwv's scroll tool) moves to the next image: dwv counts a turn away from the
    # reader (up) as forward.
    box = page.locator("#lx-view-current").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -120)
    page.wait_for_selector('[data-pane="current"][data-slice="2"]')
    # With the zoom tool, the wheel zooms: the drawn pixels change.
    page.click('[data-tool="ZoomAndPan"]')
    unzoomed = page.evaluate(CANVAS_STATS, "#lx-view-current")["digest"]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -240)
    page.wait_for_function(
        "([selector, digest]) => { const c = document.querySelector(selector + ' canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let h = 0; for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i]) % 1000000007;"
        " return h !== digest; }",
        arg=["#lx-view-current", unzoomed],
    )
    assert not page.errors, page.errors
