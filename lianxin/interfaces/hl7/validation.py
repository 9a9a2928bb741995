"""An inbound message checked against HL7's own definitions, as hl7apy ships them, on the tree
python-hl7 already parsed — without building hl7apy's element objects, which cost 15–90 ms a
message (docs/benchmarks.md, "HL7 v2 results in").

What is checked, for the message's own version (2.3 to 2.5.1):

- the order of the segments against the message structure (hl7apy's reference of ORU_R01:
  groups, optional and repeating parts); Z segments (site-defined, HL7 v2.5.1 §2.8) are allowed
  anywhere after MSH, any other segment outside the structure is an error;
- in every segment: no field past the last one the version defines, no withdrawn field filled
  in, no more repetitions than allowed, no more components or
  subcomponents than the field's data type has;
- every required field of the header (MSH) present;
- every filled-in value of a base data type (NM, SI, DT, TM, DTM, ID, ST …) through hl7apy's
  own data-type factory in strict mode: numbers, dates and times in HL7's formats, lengths.

OBX-5 (type "varies") is checked by the caller against OBX-2. Anything wrong raises
:class:`Invalid` with the segment, field and what is wrong, for the AE acknowledgement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from hl7.containers import Component, Repetition
from hl7apy import load_library, load_reference
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.factories import datatype_factory

# Segments whose required fields are enforced as hl7apy's reference marks them. Elsewhere the
# reference marks some conditional fields required (OBR-27 in v2.3, OBX-4 in v2.3.1) that
# laboratory systems leave empty; the fields Lianxin reads from OBR and OBX are checked by the
# caller with their own messages (order numbers, value type, code, result status).
REQUIRED_CHECKED = frozenset({"MSH"})
# Data types whose value hl7apy cannot check on its own (OBX-5 depends on OBX-2).
UNCHECKED_TYPES = frozenset({None, "varies"})


class Invalid(Exception):
    """The message breaks its version's definitions; the text says where and how."""


@dataclass(frozen=True)
class Element:
    """A field, component or subcomponent as the version defines it."""

    name: str  # OBX_3, CE_1 …
    long_name: str  # OBSERVATION_IDENTIFIER …
    datatype: str | None
    minimum: int
    maximum: int  # -1: unbounded
    children: tuple[Element, ...] = ()

    @property
    def label(self) -> str:
        return self.long_name.replace("_", " ").lower()


def _element(node: Any) -> Element:
    name, content, (minimum, maximum), _kind = node
    if content[0] == "leaf":
        return Element(name, content[3] or name, content[2], minimum, maximum)
    children = tuple(_element(child) for child in content[1])
    return Element(name, content[3] or name, content[2], minimum, maximum, children)


@lru_cache(maxsize=256)
def segment_fields(name: str, version: str) -> tuple[Element, ...] | None:
    """The fields of segment ``name`` in ``version`` (None: the version has no such segment)."""
    try:
        reference = load_reference(name, "Segment", version)
    except Exception:  # hl7apy raises ChildNotFound and others for an unknown name
        return None
    return tuple(_element(node) for node in reference[1])


def _pattern(node: Any) -> str:
    name, content, (minimum, maximum), kind = node
    body = f"{name} " if kind == "SEG" else "".join(_pattern(child) for child in content[1])
    if (minimum, maximum) == (1, 1):
        return f"(?>{body})" if kind != "SEG" else body
    quantifier = {(0, 1): "?", (0, -1): "*", (1, -1): "+"}.get(
        (minimum, maximum), f"{{{minimum},{'' if maximum == -1 else maximum}}}"
    )
    # Possessive: a group takes what it can and never gives it back, as HL7 parsers read a
    # message (and the match stays linear in the number of segments).
    return f"(?:{body}){quantifier}+"


@lru_cache(maxsize=32)
def message_structure(structure: str, version: str) -> tuple[re.Pattern[str], frozenset[str]]:
    """The segment-order pattern of message structure ``structure`` (e.g. ORU_R01) in
    ``version`` and the names of the segments it contains."""
    reference = load_reference(structure, "Message", version)
    body = "".join(_pattern(node) for node in reference[1])
    names = frozenset(re.findall(r"[A-Z][A-Z0-9]{2}(?= )", body))
    return re.compile(body), names


@lru_cache(maxsize=8)
def _base_types(version: str) -> frozenset[str]:
    return frozenset(load_library(version).get_base_datatypes())


def _is_empty(value: Any) -> bool:
    if isinstance(value, str):
        return value == "" or value == '""'
    return all(_is_empty(v) for v in value)


def repetitions(field: Any) -> list[Any]:
    if field and isinstance(field[0], Repetition):
        return list(field)
    return [field]


def _subcomponents(component: Any) -> list[str]:
    """python-hl7 makes a Component only where a value has components; a plain value is a
    string."""
    if isinstance(component, Component):
        return [str(s) for s in component]
    return [str(component)]


def _extra(parts: list[Any], allowed: int) -> bool:
    return any(not _is_empty(p) for p in parts[allowed:])


@lru_cache(maxsize=8192)
def _value_error(datatype: str, value: str, version: str) -> str:
    """Why hl7apy refuses ``value`` as ``datatype`` ("" if it takes it). Laboratory messages
    repeat most values (codes, units, statuses, ranges), hence the cache."""
    try:
        datatype_factory(datatype, value, version, VALIDATION_LEVEL.STRICT)
    except Exception as exc:  # ValueError, MaxLengthReached …: no common base in hl7apy
        return str(exc)[:80] or type(exc).__name__
    return ""


def _check_value(element: Element, value: str, where: str, version: str) -> None:
    if element.datatype in UNCHECKED_TYPES or element.children or value in ("", '""'):
        return
    if element.datatype not in _base_types(version):
        return
    why = _value_error(element.datatype, value, version)
    if why:
        raise Invalid(
            _("%(where)s (%(label)s): %(value)s is not a valid %(type)s value (%(why)s).")
            % {
                "where": where,
                "label": element.label,
                "value": value[:40],
                "type": element.datatype,
                "why": why,
            }
        )


def _too_many(element: Element, where: str, found: int, deep: bool) -> Invalid:
    if not element.children:
        return Invalid(
            _("%(where)s (%(label)s) has %(what)s but its type %(type)s has none.")
            % {
                "where": where,
                "label": element.label,
                "what": _("subcomponents") if deep else _("components"),
                "type": element.datatype or "—",
            }
        )
    return Invalid(
        _("%(where)s (%(label)s) has %(n)s parts; its type %(type)s has %(max)s.")
        % {
            "where": where,
            "label": element.label,
            "n": found,
            "type": element.datatype,
            "max": len(element.children),
        }
    )


def _check_repetition(element: Element, repetition: Any, where: str, version: str) -> None:
    """One repetition of a field: its components, and theirs subcomponents, against the
    field's data type."""
    components = list(repetition)
    if not element.children:
        subs = _subcomponents(components[0]) if components else [""]
        if _extra(components, 1):
            raise _too_many(element, where, len(components), deep=False)
        if _extra(subs, 1):
            raise _too_many(element, where, len(subs), deep=True)
        _check_value(element, subs[0], where, version)
        return
    if _extra(components, len(element.children)):
        raise _too_many(element, where, len(components), deep=False)
    for n, (child, component) in enumerate(
        zip(element.children, components, strict=False), start=1
    ):
        subs = _subcomponents(component)
        at = f"{where}.{n}"
        if not child.children:
            if _extra(subs, 1):
                raise _too_many(child, at, len(subs), deep=True)
            _check_value(child, subs[0], at, version)
            continue
        if _extra(subs, len(child.children)):
            raise _too_many(child, at, len(subs), deep=True)
        for k, (grandchild, sub) in enumerate(zip(child.children, subs, strict=False), start=1):
            _check_value(grandchild, sub, f"{at}.{k}", version)


def check_segment(segment: Any, version: str) -> None:
    """One segment (python-hl7) against its definition in ``version``."""
    name = str(segment[0])
    fields = segment_fields(name, version)
    if fields is None:
        if name.startswith("Z"):
            return
        raise Invalid(_("Segment %(s)s is not defined in HL7 v%(v)s.") % {"s": name, "v": version})
    # MSH-1 (field separator) and MSH-2 (encoding characters) are the parse itself.
    first = 3 if name == "MSH" else 1
    present = len(segment) - 1
    if present > len(fields):
        extra = segment[len(fields) + 1 :]
        if not all(_is_empty(f) for f in extra):
            raise Invalid(
                _("%(s)s has %(n)s fields; HL7 v%(v)s defines %(max)s.")
                % {"s": name, "n": present, "v": version, "max": len(fields)}
            )
    for n, element in enumerate(fields, start=1):
        if n < first:
            continue
        where = f"{name}-{n}"
        field = segment[n] if n <= present else ""
        if _is_empty(field):
            if element.minimum >= 1 and name in REQUIRED_CHECKED:
                raise Invalid(
                    _("%(where)s (%(label)s) is required.")
                    % {"where": where, "label": element.label}
                )
            continue
        if element.maximum == 0:
            raise Invalid(
                _("%(where)s (%(label)s) is withdrawn in HL7 v%(v)s and must be empty.")
                % {"where": where, "label": element.label, "v": version}
            )
        filled = [r for r in repetitions(field) if not _is_empty(r)]
        if element.maximum != -1 and len(filled) > element.maximum:
            raise Invalid(
                _("%(where)s (%(label)s) repeats %(n)s times; at most %(max)s.")
                % {
                    "where": where,
                    "label": element.label,
                    "n": len(filled),
                    "max": element.maximum,
                }
            )
        for repetition in filled:
            _check_repetition(element, repetition, where, version)


def check_message(message: Any, version: str, structure: str) -> None:
    """The whole message (python-hl7's parse): segment order, then every segment."""
    pattern, known = message_structure(structure, version)
    names = [str(segment[0]) for segment in message]
    for name in names:
        if name not in known and not name.startswith("Z"):
            raise Invalid(
                _("Segment %(s)s is not part of %(m)s in HL7 v%(v)s.")
                % {"s": name, "m": structure, "v": version}
            )
    sequence = "".join(f"{n} " for n in names if not n.startswith("Z"))
    if pattern.fullmatch(sequence) is None:
        raise Invalid(
            _("The segments (%(order)s) do not follow the %(m)s structure of HL7 v%(v)s.")
            % {"order": sequence.strip().replace(" ", ", "), "m": structure, "v": version}
        )
    for segment in message:
        check_segment(segment, version)
