"""Every demo login walks the pages its own navigation links to, as a user clicking around would:
no page answers 500, and no link a page shows leads to a 404 or a 403 (a link to something the
user may not see is a leak or a dead end)."""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from lianxin.core.models import Notification, User
from lianxin.core.notify import ConsoleChannel
from lianxin.demo.accounts import DEMO_ACCOUNTS
from lianxin.demo.build import build_county
from lianxin.demo.context import DemoOptions

pytestmark = pytest.mark.django_db

OPTIONS = DemoOptions(residents=400, villages=22, seed=11)
# Pages per login: enough to reach every kind of page (lists, details, figures, prints) without
# visiting all of a year's items.
BUDGET = 120
SKIP = ("/static/", "/media/", "/admin/", "/logout/", "/i18n/", "/api/", "/fhir/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("href", "hx-get"):
            if tag != "link" and values.get(name):
                self.links.append(values[name])


def _shape(path: str) -> str:
    """Pages of one kind share a shape (ids replaced), so the walk takes a few of each."""
    parts = [
        "#" if any(ch.isdigit() for ch in part) else part for part in urlsplit(path).path.split("/")
    ]
    return "/".join(parts)


def _walk(client: Client) -> tuple[int, list[str]]:
    queue, seen, shapes, problems = deque([("/", "")]), {"/"}, {}, []
    visited = 0
    while queue and visited < BUDGET:
        path, linked_from = queue.popleft()
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        visited += 1
        if response.status_code not in (200, 302):
            problems.append(f"{response.status_code} {path} (linked from {linked_from})")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.links:
            target, _ = urldefrag(urljoin(path, href))
            split = urlsplit(target)
            if split.scheme or split.netloc or not target.startswith("/"):
                continue
            if target.startswith(SKIP) or target in seen:
                continue
            shape = _shape(target)
            if shapes.get(shape, 0) >= 3:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(target)
            queue.append((target, path))
    return visited, problems


def test_every_demo_login_can_click_through_its_pages_without_an_error(
    django_capture_on_commit_callbacks,
):
    ConsoleChannel.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        build_county(OPTIONS)
    # The last days were replayed into the inboxes, dated when they happened, without texting
    # anyone about them again.
    specialist = Notification.objects.filter(recipient__username="specialist")
    assert specialist.filter(read_at__isnull=True).exists()
    assert not specialist.filter(created_at__gt=timezone.now()).exists()
    assert ConsoleChannel.sent == []
    report = {}
    for account in DEMO_ACCOUNTS:
        client = Client()
        client.force_login(User.objects.get(username=account.username))
        visited, problems = _walk(client)
        assert visited > 5, f"{account.username} reached only {visited} pages"
        if problems:
            report[account.username] = problems
    assert not report, "\n".join(f"{who}: {p}" for who, ps in report.items() for p in ps)
