"""Personas shared by every app's tests (see lianxin/testing/personas.py)."""

import pytest

from lianxin.testing.personas import Personas, build_personas


@pytest.fixture
def personas(db) -> Personas:
    return build_personas()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` need real parallel transactions; skip them on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
