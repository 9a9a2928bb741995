"""ORU^R01 messages as a laboratory system writes them: for the demo's results "from the LIS",
the tests and the benchmark."""

from __future__ import annotations

from collections.abc import Sequence

# (LOINC code, value, unit, reference range, abnormal flags, result status)
CBC_NORMAL = (
    ("6690-2", "6.2", "10*9/L", "3.5-9.5", "N", "F"),
    ("718-7", "138", "g/L", "130-175", "N", "F"),
    ("777-3", "210", "10*9/L", "125-350", "N", "F"),
)


def oru(
    control_id: str,
    placer: str,
    observations: Sequence[tuple[str, str, str, str, str, str]] = CBC_NORMAL,
    *,
    version: str = "2.5.1",
    sender: tuple[str, str] = ("LIS", "COUNTYLAB"),
    filler: str = "",
    message_type: str = "ORU^R01",
    value_type: str = "NM",
    system: str = "LN",
    patient: tuple[str, str, str, str] = ("P0001", "张^三", "19600101", "M"),
    service: str = "CBC^血常规^L",
    at: str = "20261203101500",
) -> str:
    """One ORU^R01 with a PID, one OBR for the order ``placer`` and its OBX segments.
    ``patient`` is (identifier, family^given name, birth date, sex); ``at`` the message time
    (YYYYMMDDHHMMSS), also the observation time."""
    observed = at
    segments = [
        f"MSH|^~\\&|{sender[0]}|{sender[1]}|LIANXIN|LIANXIN|{at}||"
        f"{message_type}|{control_id}|P|{version}",
        f"PID|1||{patient[0]}^^^LIS||{patient[1]}||{patient[2]}|{patient[3]}",
        f"OBR|1|{placer}|{filler}|{service}|||{observed}",
    ]
    for n, (code, value, unit, ref, flags, status) in enumerate(observations, start=1):
        segments.append(
            f"OBX|{n}|{value_type}|{code}^{code}^{system}||{value}|{unit}|{ref}|{flags}|||"
            f"{status}|||{observed}||0042^王^检验"
        )
    return "\r".join(segments) + "\r"
