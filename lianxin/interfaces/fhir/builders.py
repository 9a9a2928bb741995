"""Small pieces that every resource mapping uses: references, codings, identifiers."""

from __future__ import annotations

from typing import Any

from lianxin.interfaces.fhir.rules import System


def reference(resource_type: str, public_id: Any, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{public_id}"}
    if display:
        ref["display"] = display
    return ref


def coding(system: System | str, code: str, display: str = "") -> dict[str, str]:
    out = {"system": system.uri if isinstance(system, System) else system, "code": code}
    if display:
        out["display"] = str(display)
    return out


def concept(system: System | str, code: str, display: str = "", text: str = "") -> dict:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = str(text)
    return out


def identifier(
    system: System | str,
    value: str,
    *,
    use: str | None = None,
    type_code: tuple[str, str] | None = None,
    type_system: System | None = None,
    assigner: dict | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "system": system.uri if isinstance(system, System) else system,
        "value": value,
    }
    if use:
        out["use"] = use
    if type_code and type_system:
        out["type"] = concept(type_system, *type_code)
    if assigner:
        out["assigner"] = assigner
    return out


def phone(value: str, use: str | None = None) -> dict[str, str]:
    out = {"system": "phone", "value": value}
    if use:
        out["use"] = use
    return out
