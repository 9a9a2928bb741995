"""Laboratory orders sent to the laboratory system as ORM^O01 / OML^O21 over MLLP, received by
python-hl7's asyncio MLLP server standing in for the LIS; retried with backoff when it is down."""

from __future__ import annotations

import asyncio
import datetime
import socket
import threading

import hl7
import hl7.mllp
import pytest
from django.utils import timezone
from hl7apy.parser import parse_message

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.hl7 import outbound
from lianxin.interfaces.models import Direction, Hl7Message


class FakeLis:
    """An MLLP receiver that keeps what it gets and answers with ``code``."""

    def __init__(self, code: str = "AA") -> None:
        self.code = code
        self.received: list[str] = []
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _client(self, reader, writer) -> None:
        try:
            while True:
                message = await reader.readmessage()
                self.received.append(str(message))
                writer.writemessage(message.create_ack(self.code))
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        server = loop.run_until_complete(
            hl7.mllp.start_hl7_server(self._client, "127.0.0.1", self.port, encoding="utf-8")
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        server.close()
        loop.close()

    def __enter__(self) -> FakeLis:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("kind", "version"), [("ORM^O01", "2.3"), ("OML^O21", "2.5.1")])
def test_a_blood_count_ordered_at_a_township_reaches_the_lis_and_the_order_shows_it_delivered(
    personas, lab_system, django_capture_on_commit_callbacks, kind, version
):
    with FakeLis() as lis:
        lab_system.order_message, lab_system.order_version = kind, version
        lab_system.order_host, lab_system.order_port = "127.0.0.1", lis.port
        lab_system.save()
        with django_capture_on_commit_callbacks(execute=True):
            item = order(personas, "CBC")
    item.refresh_from_db()
    assert item.delivery_status == "sent", item.delivery_note
    assert len(lis.received) == 1
    parsed = parse_message(lis.received[0].replace("\n", "\r"), find_groups=True)
    assert parsed.msh.msh_9.to_er7().startswith(kind)
    assert parsed.msh.msh_12.to_er7() == version
    assert item.accession_number in lis.received[0]
    assert "CBC^血常规" in lis.received[0]


def test_an_order_to_a_lis_that_is_down_is_retried_with_backoff_until_it_is_delivered(
    personas, lab_system, django_capture_on_commit_callbacks
):
    lab_system.order_message = "ORM^O01"
    lab_system.order_host, lab_system.order_port = "127.0.0.1", _free_port()
    lab_system.save()
    with django_capture_on_commit_callbacks(execute=True):
        item = order(personas, "GLU")
    item.refresh_from_db()
    message = Hl7Message.objects.get(direction=Direction.OUT, order=item)
    assert (item.delivery_status, message.attempts) == ("retrying", 1)
    assert "ConnectionRefusedError" in item.delivery_note
    wait = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=25) < wait <= datetime.timedelta(seconds=30)
    # Nothing is due before the backoff has passed.
    assert outbound.deliver_due() == 0
    with FakeLis() as lis:
        lab_system.order_port = lis.port
        lab_system.save()
        assert outbound.deliver_due(timezone.now() + datetime.timedelta(seconds=31)) == 1
    item.refresh_from_db()
    message.refresh_from_db()
    assert (item.delivery_status, message.attempts, message.outcome) == ("sent", 2, "AA")


def test_an_order_the_lis_refuses_is_marked_failed_and_not_retried(
    personas, lab_system, django_capture_on_commit_callbacks
):
    with FakeLis(code="AR") as lis:
        lab_system.order_message = "ORM^O01"
        lab_system.order_host, lab_system.order_port = "127.0.0.1", lis.port
        lab_system.save()
        with django_capture_on_commit_callbacks(execute=True):
            item = order(personas, "GLU")
    item.refresh_from_db()
    message = Hl7Message.objects.get(direction=Direction.OUT, order=item)
    assert (item.delivery_status, message.outcome, message.next_attempt_at) == (
        "failed",
        "AR",
        None,
    )
    assert "answered AR" in item.delivery_note


def test_the_backoff_doubles_and_is_capped():
    from lianxin.interfaces.hl7.rules import retry_delay

    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [30, 60, 120, 1800, 1800]
