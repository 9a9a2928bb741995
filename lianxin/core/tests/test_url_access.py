"""No page or endpoint escapes the access model: an anonymous visitor gets a login redirect or a
401/403 everywhere except the few public addresses listed here, and nothing answers 500."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Addresses that are public on purpose.
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "set_language",
    "fhir:metadata",
    "schema",
    "api-docs",
    "api-token",
}
SKIP_PREFIXES = ("admin/", "static/", "media/", "__debug__/")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), (namespace + entry.name) if entry.name else ""


def _concrete(route: str) -> str | None:
    """Turn a route or regex into a path with placeholder values; None if it cannot be built."""
    placeholder = str(uuid.uuid4())
    if "format>" in route:
        # Format-suffix twins (".json") of a route are the same view; the plain one is tested.
        return None
    path = re.sub(
        r"<(?:(\w+):)?(\w+)>", lambda m: placeholder if m.group(1) != "int" else "1", route
    )
    if "^" in route or "(?P<" in route:
        # A regex route (DRF's router) mounted under a plain prefix such as "api/".
        path = path.replace("^", "").replace("$", "")
        path = re.sub(r"\(\?P<\w+>[^)]*\)", placeholder, path)
        path = path.replace("\\.", ".").replace("/?", "/")
        if any(ch in path for ch in "()[]*+?\\"):
            return None
    return "/" + path


def _routes():
    seen = set()
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or name in PUBLIC:
            continue
        path = _concrete(route)
        if path and path not in seen:
            seen.add(path)
            yield pytest.param(path, id=name or path)


@pytest.mark.parametrize("path", list(_routes()))
def test_anonymous_visitors_are_turned_away_everywhere(client, path):
    response = client.get(path)
    if response.status_code == 302:
        assert "/login" in response["Location"], f"{path} redirects elsewhere"
    else:
        assert response.status_code in {401, 403, 405}, f"{path}: {response.status_code}"
