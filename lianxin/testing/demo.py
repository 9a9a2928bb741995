"""The demo county built once per test module, for the tests that only read it.

Building the county takes seconds; a module of twenty tests that each read it used to build it
twenty times. ``module_county(options)`` makes a module-scoped fixture that builds it once, inside
a transaction that is rolled back after the module's last test. Each test still runs in its own
savepoint (pytest-django's ``db``), so what one test writes the next one does not see.

A test that builds a county of its own, or needs an empty database, belongs in a module without
this fixture: it would run inside the transaction that holds the module's county.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import TestCase

from lianxin.demo.build import build_county
from lianxin.demo.context import DemoOptions


def module_county(options: DemoOptions, *, run_on_commit: bool = False):
    """A module-scoped fixture returning ``build_county(options)``; with ``run_on_commit`` the
    callbacks the build registers (notifications, tasks) run as they would after a commit."""

    @pytest.fixture(scope="module")
    def county(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                if run_on_commit:
                    with TestCase.captureOnCommitCallbacks(execute=True):
                        built = build_county(options)
                else:
                    built = build_county(options)
                yield built
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)

    return county
