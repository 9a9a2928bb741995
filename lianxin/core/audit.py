"""The append-only, hash-chained audit log.

``record`` is called by action functions inside their transaction, so the audit row commits or rolls
back with the change it describes. ``verify`` walks the chain and reports every row whose content,
link or position does not fit.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from lianxin.core import audit_checkpoint
from lianxin.core.middleware import current_request_id
from lianxin.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
# Keys whose values never reach the audit log in clear (DESIGN §5).
SENSITIVE_KEYS = frozenset({"id_number", "password", "token"})


def mask_id_number(value: str | None) -> str:
    """``430***********1234`` — first three and last four characters kept."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def _redact(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {
            key: (mask_id_number(str(val)) if key in SENSITIVE_KEYS and val else _redact(val))
            for key, val in data.items()
        }
    if isinstance(data, list | tuple):
        return [_redact(item) for item in data]
    return data


def _normalise(data: Any) -> Any:
    """What a JSON column gives back, so that the stored row hashes the same as the written one."""
    if data is None:
        return None
    return json.loads(json.dumps(_redact(data), cls=DjangoJSONEncoder, ensure_ascii=False))


def _digest(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "at": event.at.astimezone(datetime.UTC).isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "institution": event.institution_id_ref,
        "request_id": event.request_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    action: str,
    *,
    actor: Any | None,
    target: models.Model | None = None,
    institution: Any | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> AuditEvent:
    """Append one audit row. Must run inside the caller's transaction (it is the action's row)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the action's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(getattr(target, "external_id", None) or target.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=user,
        actor_label=(user.get_username() if user else str(actor or "system"))[:150],
        institution_id_ref=getattr(institution, "pk", institution),
        request_id=current_request_id(),
        action=action,
        target_type=target_type or "",
        target_id=target_id or "",
        before=_normalise(before),
        after=_normalise(after),
        prev_hash=head.hash,
    )
    event.hash = _digest(event)
    event.save()
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    every = getattr(settings, "LIANXIN_AUDIT_CHECKPOINT_EVERY", 0)
    if every and event.seq % every == 0:
        seq, digest = event.seq, event.hash
        transaction.on_commit(lambda: audit_checkpoint.write(seq, digest))
    return event


_JSON_NATIVE = (str, int, float, bool, type(None))


def _plain(data: Any) -> Any:
    """``_normalise`` without its JSON round trip when the values are JSON already (the bulk
    of generated history: statuses, versions, names) — the same stored value, much faster."""
    if isinstance(data, Mapping) and all(
        isinstance(v, _JSON_NATIVE) and k not in SENSITIVE_KEYS for k, v in data.items()
    ):
        return dict(data)
    return _normalise(data)


def record_many(entries: list[dict[str, Any]], *, batch_size: int = 2000) -> int:
    """Append many rows at once, in the order of their ``at`` times, chained like ``record``.

    For generated history (the demo county's years of referrals and exams): each entry has the
    keys of :func:`record` (``action``, ``actor_id``, ``actor_label``, ``institution``,
    ``target_type``, ``target_id``, ``before``, ``after``) and its own ``at``. Must run inside
    a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must be called inside a transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    seq, prev = head.seq, head.hash
    batch: list[AuditEvent] = []
    written = 0
    for entry in sorted(entries, key=lambda e: e["at"]):
        seq += 1
        event = AuditEvent(
            seq=seq,
            at=entry["at"],
            actor_id=entry.get("actor_id"),
            actor_label=str(entry.get("actor_label") or "system")[:150],
            institution_id_ref=entry.get("institution"),
            request_id="",
            action=entry["action"],
            target_type=entry.get("target_type", ""),
            target_id=str(entry.get("target_id", "")),
            before=_plain(entry.get("before")),
            after=_plain(entry.get("after")),
            prev_hash=prev,
        )
        event.hash = prev = _digest(event)
        batch.append(event)
        if len(batch) >= batch_size:
            AuditEvent.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        AuditEvent.objects.bulk_create(batch)
        written += len(batch)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return written


@dataclass(frozen=True)
class Problem:
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"row #{self.seq}" if self.seq is not None else "chain"
        return f"{where}: {self.message}"


def verify(batch_size: int = 5000) -> list[Problem]:
    """Walk the whole chain; an empty list means it is intact."""
    problems: list[Problem] = []
    expected_seq = 1
    prev_hash = GENESIS
    rows: Iterator[AuditEvent] = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        if event.seq != expected_seq:
            problems.append(
                Problem(event.seq, f"rows #{expected_seq}..#{event.seq - 1} are missing")
            )
        if event.prev_hash != prev_hash:
            problems.append(Problem(event.seq, "does not link to the row before it"))
        if _digest(event) != event.hash:
            problems.append(Problem(event.seq, "content does not match its hash (changed)"))
        expected_seq = event.seq + 1
        prev_hash = event.hash
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        problems.append(
            Problem(None, f"chain ends at #{last_seq} but the head records #{head.seq} (rows cut)")
        )
    problems.extend(_check_checkpoints(last_seq))
    return problems


def _check_checkpoints(last_seq: int) -> list[Problem]:
    """Every signed checkpoint outside the database must still match a row of the chain."""
    problems: list[Problem] = []
    checkpoints = audit_checkpoint.read()
    wanted = {c.seq for c in checkpoints if c.signed and c.seq <= last_seq}
    hashes = dict(AuditEvent.objects.filter(seq__in=wanted).values_list("seq", "hash"))
    for checkpoint in checkpoints:
        if not checkpoint.signed:
            problems.append(
                Problem(None, f"checkpoint line {checkpoint.line} is not signed with this key")
            )
        elif checkpoint.seq > last_seq:
            problems.append(
                Problem(
                    None,
                    f"chain ends at #{last_seq} but a checkpoint outside the database recorded "
                    f"#{checkpoint.seq} (rows cut and the head rewound)",
                )
            )
        elif hashes.get(checkpoint.seq) != checkpoint.hash:
            problems.append(
                Problem(checkpoint.seq, "differs from its checkpoint outside the database")
            )
    return problems


def checkpoint_head() -> None:
    """Write a signed checkpoint of the current head now (after a verification found it intact)."""
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.seq:
        audit_checkpoint.write(head.seq, head.hash)
