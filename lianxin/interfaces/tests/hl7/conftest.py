"""HL7 fixtures: the county laboratory centre (from the diagnostics fixtures), its laboratory
system registered as an HL7 peer, the LOINC mappings, and a listener on a free port."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connections

from lianxin.diagnostics.tests.conftest import catalogue, centre  # noqa: F401
from lianxin.interfaces.hl7 import server
from lianxin.interfaces.hl7.mappings import sync_default_mappings
from lianxin.interfaces.models import Hl7Peer
from lianxin.testing.factories import UserFactory


@pytest.fixture
def lab_system(personas, centre) -> Hl7Peer:  # noqa: F811
    sync_default_mappings()
    user = UserFactory(username="hl7-county-lis", display_name="县检验中心LIS")
    return Hl7Peer.objects.create(
        name="县检验中心LIS",
        sending_application="LIS",
        sending_facility="COUNTYLAB",
        institution=personas.county_a,
        user=user,
    )


@dataclass
class Listener:
    host: str
    port: int


@pytest.fixture
def listener(transactional_db) -> Iterator[Listener]:
    """``lianxin hl7``'s server in a thread on a free port. On in-memory SQLite the worker
    thread shares the test's connection (as Django's live server does), one message at a time."""
    connection = connections["default"]
    shared = connection.vendor == "sqlite" and connection.is_in_memory_db()
    workers = 1 if shared else 4
    if shared:
        connection.inc_thread_sharing()

    def share() -> None:
        if shared:
            connections["default"] = connection

    ready = threading.Event()
    state: dict = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        state["loop"] = loop

        def bound(port: int) -> None:
            state["port"] = port
            ready.set()

        task = loop.create_task(
            server.serve(
                "127.0.0.1",
                0,
                ready=bound,
                workers=workers,
                initializer=share,
                deliver_orders=False,
            )
        )
        state["task"] = task
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "the HL7 listener did not start"
    yield Listener("127.0.0.1", state["port"])
    state["loop"].call_soon_threadsafe(state["task"].cancel)
    thread.join(10)
    if shared:
        connection.dec_thread_sharing()
