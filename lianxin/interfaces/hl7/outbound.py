"""Orders to a laboratory system: an ORM^O01 or OML^O21 built with hl7apy (and validated by
parsing it back), sent over MLLP with python-hl7's client, retried with backoff when the
connection fails; the order's delivery state follows each attempt."""

from __future__ import annotations

import datetime
import logging

import hl7
import hl7.client
from django.db import transaction
from django.utils import timezone
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Segment
from hl7apy.parser import parse_message

from lianxin.diagnostics.actions.orders import do_record_order_delivery
from lianxin.diagnostics.models import DeliveryStatus, ExamOrder
from lianxin.interfaces.hl7.rules import RETRY_ATTEMPTS, SEND_TIMEOUT_SECONDS, retry_delay
from lianxin.interfaces.models import Direction, Hl7Message, Hl7Peer, OrderMessage, Outcome

log = logging.getLogger(__name__)
SEX = {"1": "M", "2": "F"}


def _ts(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y%m%d%H%M%S")


def _segment(name: str, version: str, fields: dict[int, str]) -> str:
    segment = Segment(name, version=version)
    for n, value in fields.items():
        if value:
            setattr(segment, f"{name.lower()}_{n}", value)
    return segment.to_er7()


def build_order_message(order: ExamOrder, peer: Hl7Peer, control_id: str) -> str:
    """The new-order message (ORC-1 NW) for ``order`` in the peer's message type and version."""
    version = peer.order_version
    kind = peer.order_message or OrderMessage.ORM_O01
    event = kind.split("^")[1]
    patient = order.patient
    name = patient.name or ""
    # MSH-9.3 (message structure) exists from v2.3.1 on.
    structure = "" if version == "2.3" else "^" + kind.replace("^", "_")
    msh = (
        f"MSH|^~\\&|LIANXIN|{order.requester_institution.code or 'LIANXIN'}|"
        f"{peer.sending_application}|{peer.sending_facility}|{_ts(timezone.now())}||"
        f"{kind.split('^')[0]}^{event}{structure}|{control_id}|P|{version}"
    )
    segments = [
        msh,
        _segment(
            "PID",
            version,
            {
                1: "1",
                3: f"{patient.external_id.hex[:20]}^^^LIANXIN^PI",
                5: f"{name[:1]}^{name[1:]}",
                7: patient.birth_date.strftime("%Y%m%d") if patient.birth_date else "",
                8: SEX.get(patient.sex, "U"),
            },
        ),
        _segment(
            "ORC",
            version,
            {1: "NW", 2: order.accession_number, 9: _ts(order.created_at)},
        ),
        _segment(
            "OBR",
            version,
            {
                1: "1",
                2: order.accession_number,
                4: f"{order.exam.code}^{order.exam.name}^L",
                7: _ts(order.created_at),
            },
        ),
    ]
    text = "\r".join(segments) + "\r"
    # Parsing it back checks the segments fit the message structure of this version.
    parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    return text


def send(peer: Hl7Peer, text: str) -> str:
    """Send one message and return the ACK code (AA/AE/AR). Raises ``OSError`` on a lost
    connection or a timeout."""
    client = hl7.client.MLLPClient(peer.order_host, peer.order_port)
    try:
        client.socket.settimeout(SEND_TIMEOUT_SECONDS)
        answer = client.send_message(text)
    finally:
        client.close()
    try:
        ack = hl7.parse(answer.decode("utf-8").strip("\x0b\x1c\r\n"))
        return str(ack.segment("MSA")(1)).strip() or "AE"
    except Exception as exc:  # an answer that is no ACK is a failure of the receiver
        raise OSError(f"not an HL7 ACK: {answer[:60]!r}") from exc


def queue_order(order: ExamOrder) -> Hl7Message | None:
    """Write the order message for the laboratory system of the order's centre, if it takes
    orders, and mark the order queued. Returns the outbound message row."""
    peer = (
        Hl7Peer.objects.filter(institution_id=order.centre_institution_id, is_active=True)
        .exclude(order_message="")
        .first()
    )
    if peer is None or not peer.takes_orders:
        return None
    with transaction.atomic():
        message = Hl7Message.objects.create(
            direction=Direction.OUT,
            peer=peer,
            sender=f"LIANXIN^{peer.sender_key}"[:90],
            control_id=f"LX{order.pk:010d}",
            message_type=peer.order_message,
            version=peer.order_version,
            raw="",
            received_at=timezone.now(),
            order=order,
            next_attempt_at=timezone.now(),
        )
        message.raw = build_order_message(order, peer, message.control_id)
        message.save(update_fields=["raw"])
        do_record_order_delivery(order=order, status=DeliveryStatus.QUEUED)
    return message


def attempt(message: Hl7Message, *, now: datetime.datetime | None = None) -> Hl7Message:
    """One delivery attempt: AA delivers, AE/AR fails for good (the receiver refused the
    content), a lost connection waits for the next attempt with backoff until it gives up."""
    now = now or timezone.now()
    if message.outcome or message.next_attempt_at is None:
        return message
    peer = message.peer
    message.attempts += 1
    try:
        code = send(peer, message.raw)
        error = "" if code == "AA" else f"{peer.name} answered {code}"
    except OSError as exc:
        code, error = "", f"{type(exc).__name__}: {exc}"[:500]
    if code:
        message.outcome = code if code in Outcome.values else Outcome.AE
        message.next_attempt_at = None
        status = DeliveryStatus.SENT if code == "AA" else DeliveryStatus.FAILED
    elif message.attempts >= RETRY_ATTEMPTS:
        message.outcome = Outcome.AE
        message.next_attempt_at = None
        status = DeliveryStatus.FAILED
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        status = DeliveryStatus.RETRYING
    message.error = error
    with transaction.atomic():
        message.save(update_fields=["attempts", "outcome", "next_attempt_at", "error"])
        do_record_order_delivery(
            order=message.order,
            status=status,
            note=error or (f"{peer.name} ({message.message_type})" if code == "AA" else ""),
            attempts=message.attempts,
        )
    return message


def due_messages(now: datetime.datetime | None = None):
    return Hl7Message.objects.filter(
        direction=Direction.OUT, outcome="", next_attempt_at__lte=now or timezone.now()
    ).select_related("peer", "order")


def deliver_due(now: datetime.datetime | None = None, limit: int = 50) -> int:
    """Attempt every outbound message whose time has come (the listener runs this)."""
    count = 0
    for message in due_messages(now)[:limit]:
        attempt(message, now=now)
        count += 1
    return count
