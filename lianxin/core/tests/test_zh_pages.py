"""Every page a role reaches, rendered in zh-Hans: no workflow state shown as its English code,
no label known to have been left in English, and the error pages in the site's layout, in Chinese.

Each persona starts at the home page and follows the links of the pages it is shown (bounded),
over a small world with referrals, a consultation and an exam order in several states.
"""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import pytest
from django.test import override_settings
from django.urls import reverse

from lianxin.core.workflow.states import Status
from lianxin.referrals.actions import do_create_referral, do_receive_referral
from lianxin.referrals.rules import Direction

pytestmark = pytest.mark.django_db

PERSONAS = ["doctor", "specialist", "admin", "commission", "outsider"]
PAGES_PER_PERSONA = 40
SKIP = ("/api/", "/admin/", "/static/", "/media/", "/fhir/", "/logout", "/i18n/")
STATE_CODES = {s.value for s in Status}
# Labels once left in English on Chinese pages (issue 11), and Django's bare error pages.
KNOWN_ENGLISH = {
    "findings",
    "site",
    "department",
    "doctor",
    "month",
    "EC",
    "LB",
    "PA",
    "Done.",
    "Not Found",
    "Forbidden",
    "Bad Request (400)",
}
STATE_IN_TEXT = re.compile(
    r"[“\"'(（]\s*(" + "|".join(re.escape(s) for s in sorted(STATE_CODES, key=len)[::-1]) + r")"
)


class _Text(HTMLParser):
    """Visible text nodes (not script/style) and same-site links of a page."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith(SKIP):
            self.links.append(href.split("#")[0])

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def _problems(path: str, html: str) -> tuple[list[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    found = []
    for text in parser.texts:
        bare = text.rstrip(":：").strip()
        if bare in STATE_CODES or bare in KNOWN_ENGLISH or STATE_IN_TEXT.search(text):
            found.append(f"{path}: {text!r}")
    return found, parser.links


@pytest.fixture
def world(personas):
    """Referrals in two states, so that lists and detail pages have rows to show."""
    for reason in ("胸痛待查", "头晕一周"):
        referral = do_create_referral(
            actor=personas.doctor,
            patient=personas.patient,
            direction=Direction.UP,
            performer_institution=personas.county_a,
            reason=reason,
            diagnosis_text="胸痛",
        )
    do_receive_referral(actor=personas.specialist, referral=referral)
    return personas


@pytest.mark.parametrize("who", PERSONAS)
@override_settings(LANGUAGE_CODE="zh-hans")
def test_every_page_a_role_reaches_is_in_chinese(world, who):
    client = world.client(who)
    queue, seen, problems = [reverse("home")], set(), []
    while queue and len(seen) < PAGES_PER_PERSONA:
        path = queue.pop(0)
        if path in seen or path.endswith((".pdf", "/print/", "/export/")):
            continue
        seen.add(path)
        response = client.get(path, headers={"accept-language": "zh-hans"})
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        found, links = _problems(path, response.content.decode())
        problems += found
        queue += [link for link in links if link not in seen]
    assert len(seen) > 3, seen
    assert not problems, "\n".join(problems)


@override_settings(LANGUAGE_CODE="zh-hans", DEBUG=False)
def test_the_error_pages_are_in_the_site_layout_and_in_chinese(personas):
    client = personas.client("doctor")
    missing = client.get(f"/patients/{uuid.uuid4()}/", headers={"accept-language": "zh-hans"})
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "未找到" in page and 'class="topnav"' in page and "Not Found" not in page

    refused = personas.client("commission").get(
        reverse("patients:search"), headers={"accept-language": "zh-hans"}
    )
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "无权访问" in page and 'class="topnav"' in page and "Forbidden" not in page
