"""Personas shared by every app's tests (see lianxin/testing/personas.py)."""

import pytest

from lianxin.testing.personas import Personas, build_personas


@pytest.fixture
def personas(db) -> Personas:
    return build_personas()
