"""One inbound HL7 v2 message → stored results and the acknowledgement to send back.

The message is parsed once with python-hl7 (it also builds the ACK) and validated against the
definitions of its own version (2.3 to 2.5.1) as hl7apy ships them — segment order, fields,
repetitions, components, base data types through hl7apy's own factory (``validation``) —
without building hl7apy's object tree, which alone took longer than everything else a message
costs. Everything a message stores — report versions, values, critical results, its log row — is
written in one transaction that commits before the AA goes back, so a sender that got an AA
never loses the result. Any error rolls it back and is logged (AE/AR) with its text.

Per message: one query for the duplicate check, one for the sender (with its account), one for
the analyte mappings of all its codes, then per OBR group the order (read locked) and the
result's writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import hl7
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.errors import ActionError
from lianxin.diagnostics.actions.lab import LabValue, do_receive_lab_result
from lianxin.diagnostics.models import ExamOrder
from lianxin.interfaces.hl7.rules import (
    CRITICAL_FLAGS,
    INBOUND_TYPES,
    NUMERIC_TYPES,
    PROCESSING_IDS,
    RESULT_STATUSES,
    SUPPORTED_VERSIONS,
)
from lianxin.interfaces.hl7.validation import Invalid, check_message, repetitions
from lianxin.interfaces.models import AnalyteMapping, Direction, Hl7Message, Hl7Peer, Outcome

log = logging.getLogger(__name__)
FALLBACK_HEADER = "MSH|^~\\&|||||||ACK^R01|UNKNOWN|P|2.5"


class Refusal(Exception):
    """The message is not taken: ``code`` AE (bad content) or AR (not for us)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass
class Result:
    """What handling one message came to."""

    outcome: str
    text: str
    ack: bytes
    message: Hl7Message | None = None
    duplicate: bool = False


@dataclass
class Header:
    sender: str = ""
    application: str = ""
    facility: str = ""
    control_id: str = ""
    message_type: str = ""
    version: str = ""
    processing_id: str = ""
    parsed: Any = None


@dataclass
class OrderGroup:
    placer: str
    filler: str
    observations: list[Any] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """HL7 text as sent: UTF-8, or GB 18030 from older Chinese laboratory systems."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r") + "\r"


def _text(value: Any) -> str:
    return str(value or "").strip()


def read_header(text: str) -> Header:
    try:
        parsed = hl7.parse(text)
        parsed.segment("MSH")
    except Exception as exc:  # python-hl7 raises several kinds for a broken header
        raise Refusal("AR", _("The message has no readable MSH segment.")) from exc

    def part(n: int, component: int = 1) -> str:
        try:
            return _text(parsed.extract_field("MSH", 1, n, 1, component))
        except (IndexError, KeyError):
            return ""

    application, facility = part(3), part(4)
    return Header(
        sender=f"{application}^{facility}",
        application=application,
        facility=facility,
        control_id=part(10)[:40],
        message_type=f"{part(9, 1)}^{part(9, 2)}",
        version=part(12),
        processing_id=part(11),
        parsed=parsed,
    )


def build_ack(header: Header, code: str, text: str) -> bytes:
    source = header.parsed or hl7.parse(FALLBACK_HEADER)
    try:
        ack = source.create_ack(code, application="LIANXIN", facility="LIANXIN")
    except (TypeError, IndexError, KeyError):  # a header too broken to answer in kind
        source = hl7.parse(FALLBACK_HEADER)
        ack = source.create_ack(code, application="LIANXIN", facility="LIANXIN")
    if text:
        ack.segment("MSA").assign_field(source.escape(text[:80]), 3)
    return str(ack).encode("utf-8")


def _field(segment: Any, n: int) -> list[str]:
    """The components of the first repetition of field ``n`` (empty list if absent)."""
    if n >= len(segment):
        return []
    first = repetitions(segment[n])[0]
    parts = [_text(str(c)) for c in first]
    return parts if any(parts) else []


def _first(segment: Any, n: int) -> str:
    parts = _field(segment, n)
    return parts[0] if parts else ""


def parse_groups(header: Header) -> list[OrderGroup]:
    """Validate the message (``validation``); the OBR groups with their OBX segments."""
    structure = header.message_type.replace("^", "_")
    try:
        check_message(header.parsed, header.version, structure)
    except Invalid as exc:
        raise Refusal("AE", _("Malformed message: %(e)s") % {"e": str(exc)[:200]}) from exc
    groups: list[OrderGroup] = []
    for segment in header.parsed:
        name = str(segment[0])
        if name == "OBR":
            groups.append(OrderGroup(placer=_first(segment, 2), filler=_first(segment, 3)))
        elif name == "OBX":
            if not groups:
                raise Refusal("AE", _("An OBX segment comes before any OBR."))
            groups[-1].observations.append(segment)
    if not groups:
        raise Refusal("AE", _("The message has no OBR segment."))
    return groups


def _order(peer: Hl7Peer, group: OrderGroup) -> ExamOrder:
    if not (group.placer or group.filler):
        raise Refusal("AE", _("OBR-2 and OBR-3 are both empty: which order is this?"))
    # Read locked, with what the result needs: the lab action takes it as it is (locked=True).
    mine = (
        ExamOrder.objects.filter(
            Q(performer_institution_id=peer.institution_id)
            | Q(centre_institution_id=peer.institution_id)
        )
        .select_related("patient", "exam")
        .select_for_update(of=("self",))
    )
    order = None
    if group.placer:
        order = mine.filter(accession_number=group.placer).first()
    if order is None and group.filler:
        order = mine.filter(filler_order_number=group.filler).first()
    if order is None:
        raise Refusal(
            "AE",
            _("Unknown order: placer %(p)s, filler %(f)s.")
            % {"p": group.placer or "—", "f": group.filler or "—"},
        )
    return order


def _code(segment: Any) -> tuple[str, str]:
    """OBX-3: (identifier, coding system)."""
    parts = _field(segment, 3)
    return (parts[0] if parts else "", parts[2] if len(parts) > 2 else "")


class Mappings:
    """The analyte mappings of every code of one message, read in one query. The sender's own
    mapping wins over a shared one, an exact system over an empty one."""

    def __init__(self, peer: Hl7Peer, groups: list[OrderGroup]) -> None:
        codes = {_code(s)[0] for g in groups for s in g.observations} - {""}
        rows = AnalyteMapping.objects.filter(
            Q(peer=peer) | Q(peer__isnull=True), code__in=codes, is_active=True
        ).only("peer_id", "coding_system", "code", "analyte")
        self.rows: dict[str, list[AnalyteMapping]] = {}
        for row in rows:
            self.rows.setdefault(row.code, []).append(row)

    def analyte(self, code: str, system: str) -> str:
        rows = [m for m in self.rows.get(code, ()) if m.coding_system in (system, "")]
        best = sorted(rows, key=lambda m: (m.peer_id is None, m.coding_system == ""))
        if not best:
            raise Refusal(
                "AE",
                _("Unmapped code %(c)s (%(s)s).") % {"c": code, "s": system or _("no system")},
            )
        return best[0].analyte


def _observer(segment: Any) -> str:
    parts = _field(segment, 16)
    name = "".join(parts[1:3]) if len(parts) > 1 else ""
    return name or (parts[0] if parts else "")


def _value(segment: Any, value_type: str) -> str:
    parts = _field(segment, 5)
    if value_type == "SN":  # structured numeric: comparator ^ number
        if len(parts) > 1 and parts[0] not in ("", "="):
            raise Refusal("AE", _("Value %(v)s is not an exact number.") % {"v": "".join(parts)})
        return parts[1] if len(parts) > 1 else (parts[0] if parts else "")
    return parts[0] if parts else ""


def observations(mappings: Mappings, group: OrderGroup) -> tuple[str, list[LabValue], str]:
    """The result status, the mapped values and the verifier of one OBR group."""
    values, statuses, verifier = [], set(), ""
    for segment in group.observations:
        value_type = _first(segment, 2)
        code = _field(segment, 3)
        if value_type not in NUMERIC_TYPES:
            raise Refusal(
                "AE",
                _("OBX %(n)s: value type %(t)s is not numeric (NM or SN).")
                % {"n": _first(segment, 1) or "?", "t": value_type or "—"},
            )
        if not code or not code[0]:
            raise Refusal("AE", _("OBX %(n)s has no code (OBX-3).") % {"n": _first(segment, 1)})
        status = _first(segment, 11)
        if status not in RESULT_STATUSES:
            raise Refusal(
                "AE",
                _("OBX %(n)s: result status %(s)s is not P, F or C.")
                % {"n": _first(segment, 1), "s": status or "—"},
            )
        statuses.add(status)
        flags = _first(segment, 8).upper()
        values.append(
            LabValue(
                analyte=mappings.analyte(code[0], code[2] if len(code) > 2 else ""),
                value=_value(segment, value_type),
                unit=_first(segment, 6),
                reference_range=_first(segment, 7),
                abnormal_flags=flags,
                critical_by_sender=flags in CRITICAL_FLAGS,
            )
        )
        verifier = verifier or _observer(segment)
    if not values:
        raise Refusal("AE", _("OBR %(p)s has no OBX result.") % {"p": group.placer or group.filler})
    if "C" in statuses:
        status = "C"
    elif statuses == {"F"}:
        status = "F"
    else:
        status = "P"
    return status, values, verifier


def _log(header: Header, peer: Hl7Peer | None, text: str, now, **fields: Any) -> Hl7Message:
    return Hl7Message.objects.create(
        direction=Direction.IN,
        peer=peer,
        sender=header.sender[:90],
        control_id=header.control_id,
        message_type=header.message_type[:20],
        version=header.version[:8],
        raw=text,
        received_at=now,
        **fields,
    )


def _check_header(header: Header) -> Hl7Peer:
    peer = (
        Hl7Peer.objects.select_related("user")
        .filter(
            sending_application=header.application,
            sending_facility=header.facility,
            is_active=True,
        )
        .first()
    )
    if peer is None:
        raise Refusal("AR", _("Unknown sender %(s)s.") % {"s": header.sender})
    if header.message_type not in INBOUND_TYPES:
        raise Refusal(
            "AR", _("Message type %(t)s is not supported (ORU^R01).") % {"t": header.message_type}
        )
    if header.version not in SUPPORTED_VERSIONS:
        raise Refusal(
            "AR",
            _("HL7 version %(v)s is not supported (%(list)s).")
            % {"v": header.version or "—", "list": ", ".join(SUPPORTED_VERSIONS)},
        )
    if header.processing_id not in PROCESSING_IDS:
        raise Refusal(
            "AR", _("Processing ID %(p)s is not accepted.") % {"p": header.processing_id or "—"}
        )
    if not header.control_id:
        raise Refusal("AR", _("MSH-10 (message control ID) is empty."))
    return peer


def _store(header: Header, peer: Hl7Peer, text: str, now, rerun_of=None) -> Hl7Message:
    groups = parse_groups(header)
    mappings = Mappings(peer, groups)
    with transaction.atomic():
        first_order = None
        for group in groups:
            status, values, verifier = observations(mappings, group)
            order = _order(peer, group)
            if group.filler and order.filler_order_number != group.filler:
                ExamOrder.objects.filter(pk=order.pk).update(filler_order_number=group.filler)
                order.filler_order_number = group.filler
            do_receive_lab_result(
                order=order,
                result_status=status,
                values=values,
                system_user=peer.user,
                verifier=verifier,
                now=now,
                locked=True,
            )
            first_order = first_order or order
        return _log(
            header, peer, text, now, outcome=Outcome.AA, order=first_order, rerun_of=rerun_of
        )


def _errors(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return str(exc)


def handle_text(text: str, *, rerun_of: Hl7Message | None = None, now=None) -> Result:
    """Handle one message (already decoded) and say what to answer. ``now`` is the receiving
    time (the demo replays messages at its own clock)."""
    now = now or timezone.now()
    header = Header()
    peer = None
    try:
        header = read_header(text)
        if rerun_of is None and header.control_id:
            accepted = Hl7Message.objects.filter(
                direction=Direction.IN,
                sender=header.sender,
                control_id=header.control_id,
                outcome=Outcome.AA,
            )
            if accepted.update(duplicates=F("duplicates") + 1):
                note = _("Duplicate of an accepted message: not stored again.")
                return Result(Outcome.AA, note, build_ack(header, "AA", note), duplicate=True)
        peer = _check_header(header)
        message = _store(header, peer, text, now, rerun_of=rerun_of)
        return Result(Outcome.AA, "", build_ack(header, "AA", ""), message=message)
    except IntegrityError:
        # The same message accepted meanwhile on another connection.
        note = _("Duplicate of an accepted message: not stored again.")
        return Result(Outcome.AA, note, build_ack(header, "AA", note), duplicate=True)
    except (Refusal, ValidationError, ActionError) as exc:
        code = exc.code if isinstance(exc, Refusal) else "AE"
        error = exc.text if isinstance(exc, Refusal) else _errors(exc)
    ack = build_ack(header, code, error)
    message = _log(
        header,
        peer,
        text,
        now,
        outcome=code,
        error=error[:2000],
        ack=ack.decode("utf-8"),
        rerun_of=rerun_of,
    )
    return Result(code, error, ack, message=message)


def handle_bytes(raw: bytes) -> bytes:
    """The listener's entry: bytes of one MLLP block in, ACK bytes out. Never raises."""
    try:
        return handle_text(decode(raw)).ack
    except Exception:  # an unexpected failure still gets an answer: the sender must resend
        log.exception("HL7 message could not be handled")
        # A connection broken meanwhile (a database restart) is replaced, not reused.
        connection.close_if_unusable_or_obsolete()
        try:
            header = read_header(decode(raw))
        except Refusal:
            header = Header()
        return build_ack(header, "AE", _("Internal error: the message was not stored; resend it."))
