"""What Lianxin accepts over HL7 v2 and how it answers, as data with the sources.

- HL7 v2.5.1 Chapter 2 (Control), 2.9 "Message processing rules" and Table 0008
  (Acknowledgment code): AA accepted, AE application error (the content is wrong: a segment,
  an unknown order, an unmapped code), AR application reject (not for us: unknown sender,
  unsupported message type, version or processing ID).
- HL7 v2.5.1 Chapter 7 (Observation reporting), ORU^R01; Table 0085 (Observation result
  status): P preliminary, F final, C correction of a final result.
- HL7 v2.5.1 Table 0078 (Abnormal flags): LL / HH below / above the panic limits, AA very
  abnormal — the laboratory calls these critical.
- HL7 v2 Minimal Lower Layer Protocol (MLLP), HL7 v2.5.1 Appendix C.4: <VT> message <FS><CR>.
"""

from __future__ import annotations

import datetime

SOURCE_HL7 = "HL7 v2.5.1 Chapter 2 §2.9 and Table 0008 (Acknowledgment code)"
SOURCE_RESULT_STATUS = "HL7 v2.5.1 Table 0085 (Observation result status codes interpretation)"
SOURCE_ABNORMAL_FLAGS = "HL7 v2.5.1 Table 0078 (Abnormal flags)"

SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
INBOUND_TYPES = ("ORU^R01",)
# Processing ID (MSH-11, Table 0103): production and training; debugging messages are refused.
PROCESSING_IDS = ("P", "T")
# Observation value types (OBX-2, Table 0125) that carry a number Lianxin stores.
NUMERIC_TYPES = ("NM", "SN")
RESULT_STATUSES = {"P": "P", "F": "F", "C": "C"}
# Statuses that carry no value to store (Table 0085): I pending, X cannot be obtained,
# D deleted, W wrong (superseded). A message with only these is refused with AE.
CRITICAL_FLAGS = frozenset({"LL", "HH", "AA"})

# Outbound orders: retry a lost connection with exponential backoff, then give up.
RETRY_FIRST = datetime.timedelta(seconds=30)
RETRY_MAX = datetime.timedelta(minutes=30)
RETRY_ATTEMPTS = 6
SEND_TIMEOUT_SECONDS = 10.0


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (30 s, 1, 2, 4 … min)."""
    return min(RETRY_FIRST * (2 ** max(attempts - 1, 0)), RETRY_MAX)
