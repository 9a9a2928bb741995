"""Signed checkpoints of the audit chain's head, kept outside the database.

The hash chain shows a changed or removed row, and the head row shows a cut-off tail — unless the
person who cut the tail also rewound the head. So every ``LIANXIN_AUDIT_CHECKPOINT_EVERY`` rows
(and on every ``lianxin audit verify``) the head's sequence number and hash are appended, with an
HMAC under the installation's secret key, to a file outside the database and to the log
(``lianxin.audit.checkpoint``, for a central log sink). ``verify`` then checks that every
checkpointed row still exists with the same hash.
"""

from __future__ import annotations

import datetime
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils.crypto import constant_time_compare, salted_hmac

logger = logging.getLogger("lianxin.audit.checkpoint")
SALT = "lianxin.audit.checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    line: int
    seq: int
    hash: str
    signed: bool


def _path() -> Path | None:
    configured = getattr(settings, "LIANXIN_AUDIT_CHECKPOINT_FILE", "")
    return Path(configured) if configured else None


def database_identity() -> str:
    """Which database a checkpoint belongs to, so that one file can serve several."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:{Path(str(conf['NAME'])).resolve()}"
    return f"{connection.vendor}:{conf.get('HOST') or ''}:{conf.get('PORT') or ''}/{conf['NAME']}"


def _mac(db: str, seq: int, digest: str, at: str) -> str:
    message = f"{db}|{seq}|{digest}|{at}"
    return salted_hmac(SALT, message, algorithm="sha256").hexdigest()


def write(seq: int, digest: str) -> None:
    """Append one signed checkpoint (called after the commit that wrote row ``seq``)."""
    db = database_identity()
    at = datetime.datetime.now(datetime.UTC).isoformat()
    entry = {"db": db, "seq": seq, "hash": digest, "at": at, "mac": _mac(db, seq, digest, at)}
    line = json.dumps(entry, sort_keys=True)
    logger.info("audit checkpoint %s", line)
    path = _path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read() -> list[Checkpoint]:
    """This database's checkpoints from the file, each marked whether its signature holds."""
    path = _path()
    if path is None or not path.exists():
        return []
    db = database_identity()
    found: list[Checkpoint] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
            if entry["db"] != db:
                continue
            seq, digest = int(entry["seq"]), str(entry["hash"])
            signed = constant_time_compare(
                str(entry["mac"]), _mac(db, seq, digest, str(entry["at"]))
            )
        except (ValueError, KeyError, TypeError):
            found.append(Checkpoint(number, 0, "", signed=False))
            continue
        found.append(Checkpoint(number, seq, digest, signed=signed))
    return found


def discard() -> None:
    """Forget the checkpoints (the database itself was deleted, e.g. ``lianxin demo --reset``)."""
    path = _path()
    if path is not None:
        path.unlink(missing_ok=True)
