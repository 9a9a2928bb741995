"""Test helpers: the sample ORU^R01 builder and reading an ACK with python-hl7."""

from __future__ import annotations

import hl7

from lianxin.interfaces.hl7.samples import CBC_NORMAL, oru

__all__ = ["CBC_NORMAL", "ack_code", "oru"]


def ack_code(answer: bytes | str) -> tuple[str, str]:
    """MSA-1 and MSA-3 of an ACK (python-hl7 parses it)."""
    text = answer.decode("utf-8") if isinstance(answer, bytes) else answer
    message = hl7.parse(text.strip("\x0b\x1c\r\n"))
    msa = message.segment("MSA")
    text3 = message.unescape(str(msa(3))) if len(msa) > 3 else ""
    return str(msa(1)), text3
