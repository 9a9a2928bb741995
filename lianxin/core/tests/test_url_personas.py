"""Every page and endpoint, walked as each persona: nothing answers 500, an unknown or foreign
public id is a 404 (never a 403 that would confirm the row exists), and lists that reach patient
rows give the health commission none."""

from __future__ import annotations

import pytest

from lianxin.core.tests.test_url_access import _routes

pytestmark = pytest.mark.django_db

PERSONAS = ["doctor", "specialist", "outsider", "admin", "commission"]
ROUTES = list(_routes())


def _has_id(path: str) -> bool:
    return any(len(part) == 36 and part.count("-") == 4 for part in path.split("/"))


@pytest.mark.parametrize("who", PERSONAS)
def test_no_page_or_endpoint_fails_for_any_persona(personas, who):
    client = personas.client(who)
    failures = []
    for param in ROUTES:
        path = param.values[0]
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"{path}: {response.status_code}")
        elif _has_id(path) and response.status_code not in {404, 405, 403}:
            # A random public id: nobody finds it. 403 stays allowed for pages that a role may
            # not open at all, whatever the id.
            failures.append(f"{path}: {response.status_code} for an unknown id")
    assert not failures, "\n".join(failures)
