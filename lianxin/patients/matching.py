"""Candidate matching: the patients already in the index who may be the person being registered.

Blocking first, each block one indexed query: the ID number and its neighbours (one digit wrong,
two neighbours swapped, an old 15-digit card), the name's sound key (homophones, traditional
forms, pinyin-only names, similar sounds), the birth date and its usual slips (day and month
swapped, one digit wrong) with sex and the surname's initial, the phone, and the institutions'
record numbers. The few hundred rows found are then scored field by field (Fellegi–Sunter
weights from ``rules.MATCH_WEIGHTS``), and each field's evidence is kept for the reviewer.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from rapidfuzz.distance import JaroWinkler, Levenshtein

from lianxin.core.idnumber import EARLIEST_BIRTH, check_character
from lianxin.patients.models import Patient, PatientIdentifier, Sex
from lianxin.patients.pinyin import name_initials, name_pinyin, name_sound
from lianxin.patients.rules import (
    MATCH_BLOCK_LIMIT,
    MATCH_PRIOR,
    MATCH_REVIEW_WEIGHT,
    MATCH_WEIGHTS,
)

_KNOWN_SEXES = {Sex.MALE.value, Sex.FEMALE.value}
_HOUSE_NUMBER = re.compile(r"[\d０-９]+[号號]?.*$")


def clean_id_text(text: str | None) -> str:
    """An ID number as typed, in its 18-character form when it has 15 digits; the check character
    is not verified (a mistyped number still finds its neighbours)."""
    value = "".join(unicodedata.normalize("NFKC", text or "").split()).upper()
    if len(value) == 15 and value.isascii() and value.isdigit():
        first17 = f"{value[:6]}19{value[6:]}"
        return first17 + check_character(first17)
    return value if len(value) == 18 and value[:17].isascii() and value[:17].isdigit() else ""


def id_neighbours(value: str) -> set[str]:
    """Valid numbers one slip away: one of the first 17 digits wrong, or two neighbours swapped
    (each with its own check character), or the check character itself wrong."""
    if not value:
        return set()
    first17 = value[:17]
    out = {first17 + check_character(first17)}
    for i in range(17):
        for digit in "0123456789":
            if digit != first17[i]:
                variant = first17[:i] + digit + first17[i + 1 :]
                out.add(variant + check_character(variant))
        if i < 16 and first17[i] != first17[i + 1]:
            variant = first17[:i] + first17[i + 1] + first17[i] + first17[i + 2 :]
            out.add(variant + check_character(variant))
    out.discard(value)
    return out


def _one_slip(a: str, b: str) -> bool:
    """Same length and one character different, or two neighbours swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def _date_digits(day: datetime.date) -> str:
    """YYYYMMDD, the year zero-padded (strftime does not pad years before 1000)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def birth_date_variants(
    day: datetime.date, today: datetime.date | None = None
) -> set[datetime.date]:
    """The date itself, day and month swapped, and every date one digit of YYYYMMDD away."""
    today = today or datetime.date.today()
    out = {day}
    if day.day <= 12:
        with contextlib.suppress(ValueError):
            out.add(day.replace(month=day.day, day=day.month))
    text = _date_digits(day)
    for i in range(8):
        for digit in "0123456789":
            if digit == text[i]:
                continue
            candidate = text[:i] + digit + text[i + 1 :]
            try:
                parsed = datetime.datetime.strptime(candidate, "%Y%m%d").date()
            except ValueError:
                continue
            if EARLIEST_BIRTH <= parsed <= today:
                out.add(parsed)
    return out


def _address_stem(address: str) -> str:
    """The address without the house number: 尤溪县城关镇东门村12号 → 尤溪县城关镇东门村."""
    return _HOUSE_NUMBER.sub("", "".join((address or "").split()))


@dataclass
class Probe:
    """What is known of the person being registered (or of a patient, to find its duplicates)."""

    name: str
    sex: str = ""
    birth_date: datetime.date | None = None
    birth_date_estimated: bool = False
    id_number: str = ""
    phone: str = ""
    address: str = ""
    division_code: str = ""
    record_numbers: Sequence[str] = ()
    exclude_pk: int | None = None

    @classmethod
    def of(cls, patient: Patient) -> Probe:
        return cls(
            name=patient.name,
            sex=patient.sex,
            birth_date=patient.birth_date,
            birth_date_estimated=patient.birth_date_estimated,
            id_number=patient.id_number or "",
            phone=patient.phone,
            address=patient.address,
            division_code=patient.division_code,
            record_numbers=list(patient.identifiers.values_list("value", flat=True)),
            exclude_pk=patient.pk,
        )


@dataclass(frozen=True)
class Evidence:
    """One field's comparison: its level of agreement and the weight that level carries."""

    field: str
    level: str
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "level": self.level, "weight": self.weight}


@dataclass
class Candidate:
    patient: Patient
    weight: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def probability(self) -> float:
        return probability(self.weight)


def probability(weight: float) -> float:
    """Match probability from a weight and the prior of a blocked pair (Bayes' rule)."""
    odds = MATCH_PRIOR / (1 - MATCH_PRIOR) * math.pow(2.0, max(min(weight, 60.0), -60.0))
    return odds / (1 + odds)


def _evidence(field_name: str, level: str) -> Evidence:
    return Evidence(field_name, level, MATCH_WEIGHTS[field_name][level])


def _name_level(probe: Probe, patient: Patient, probe_pinyin: str, probe_sound: str) -> str:
    a = "".join(unicodedata.normalize("NFKC", probe.name).split())
    b = "".join(unicodedata.normalize("NFKC", patient.name).split())
    if a == b:
        return "exact"
    other = name_pinyin(patient.name)
    if probe_pinyin and probe_pinyin == other:
        return "pinyin"
    if probe_sound and probe_sound == (patient.name_sound or name_sound(patient.name)):
        return "sound"
    if (len(a) >= 2 and len(a) == len(b) and Levenshtein.distance(a, b) <= 1) or (
        probe_pinyin and other and JaroWinkler.similarity(probe_pinyin, other) >= 0.92
    ):
        return "similar"
    return "different"


def _birth_level(probe: Probe, patient: Patient) -> str:
    a, b = probe.birth_date, patient.birth_date
    if a is None or b is None:
        return ""
    if probe.birth_date_estimated or patient.birth_date_estimated:
        # An estimated age agrees with anything within a few years.
        return "near" if abs((a - b).days) <= 3 * 366 else "different"
    if a == b:
        return "exact"
    if a.day <= 12 and b.day <= 12 and (a.month, a.day) == (b.day, b.month) and a.year == b.year:
        return "swapped"
    if _one_slip(_date_digits(a), _date_digits(b)):
        return "typo"
    return "different"


def _village_level(probe: Probe, patient: Patient) -> str:
    if len(probe.division_code) == 12 and len(patient.division_code) == 12:
        return "exact" if probe.division_code == patient.division_code else "different"
    a, b = _address_stem(probe.address), _address_stem(patient.address)
    if not a or not b:
        return ""
    return "exact" if a == b or (min(len(a), len(b)) >= 6 and (a in b or b in a)) else "different"


def compare(
    probe: Probe,
    patient: Patient,
    *,
    shared_record_number: bool = False,
    probe_pinyin: str | None = None,
    probe_sound: str | None = None,
) -> Candidate:
    """Score one patient against the probe, field by field."""
    probe_pinyin = name_pinyin(probe.name) if probe_pinyin is None else probe_pinyin
    probe_sound = name_sound(probe.name) if probe_sound is None else probe_sound
    evidence: list[Evidence] = []
    mine, theirs = clean_id_text(probe.id_number), patient.id_number or ""
    if mine and theirs:
        if mine == theirs:
            evidence.append(_evidence("id_number", "exact"))
        elif mine[:17] == theirs[:17] or _one_slip(mine[:17], theirs[:17]):
            evidence.append(_evidence("id_number", "near"))
        else:
            evidence.append(_evidence("id_number", "different"))
    evidence.append(_evidence("name", _name_level(probe, patient, probe_pinyin, probe_sound)))
    if probe.sex in _KNOWN_SEXES and patient.sex in _KNOWN_SEXES:
        evidence.append(_evidence("sex", "exact" if probe.sex == patient.sex else "different"))
    level = _birth_level(probe, patient)
    if level:
        evidence.append(_evidence("birth_date", level))
    if probe.phone and patient.phone:
        evidence.append(
            _evidence("phone", "exact" if probe.phone == patient.phone else "different")
        )
    level = _village_level(probe, patient)
    if level:
        evidence.append(_evidence("village", level))
    if shared_record_number:
        evidence.append(_evidence("record_number", "exact"))
    return Candidate(patient, sum(e.weight for e in evidence), evidence)


def _blocks(probe: Probe) -> Q:
    """The blocking keys as one condition: each term is served by its own index (the ID number,
    the name's sound key, birth date with sex, the phone, the record numbers)."""
    blocks = Q(pk__in=[])
    number = clean_id_text(probe.id_number)
    if number:
        blocks |= Q(id_number__in=sorted({number, *id_neighbours(number)}))
    sound = name_sound(probe.name)
    if sound:
        blocks |= Q(name_sound=sound)
    if probe.birth_date is not None:
        if probe.birth_date_estimated:
            dates = Q(
                birth_date__range=(
                    probe.birth_date - datetime.timedelta(days=3 * 366),
                    probe.birth_date + datetime.timedelta(days=3 * 366),
                ),
                is_unidentified=False,
            )
        else:
            dates = Q(birth_date__in=sorted(birth_date_variants(probe.birth_date)))
            initials = name_initials(probe.name)[:1]
            if initials:
                dates &= Q(name_initials__startswith=initials)
        if probe.sex in _KNOWN_SEXES:
            dates &= Q(sex__in=[probe.sex, Sex.UNKNOWN, Sex.UNSPECIFIED])
        blocks |= dates
    if probe.phone:
        blocks |= Q(phone=probe.phone)
    numbers = [n for n in probe.record_numbers if n]
    if numbers:
        blocks |= Q(pk__in=PatientIdentifier.objects.filter(value__in=numbers).values("patient_id"))
    return blocks


def _blocked(probe: Probe, base: QuerySet[Patient]) -> list[Patient]:
    """The patients in any block, fetched in one query.

    Merged records are left out here rather than in SQL: ``merged_into IS NULL`` holds for
    nearly every row, and a planner without statistics (SQLite) would scan its index instead of
    the blocking keys' ones."""
    rows = [
        patient
        for patient in base.filter(_blocks(probe))[:MATCH_BLOCK_LIMIT]
        if patient.merged_into_id is None and patient.pk != probe.exclude_pk
    ]
    return rows


def find_candidates(
    probe: Probe,
    *,
    queryset: QuerySet[Patient] | None = None,
    min_weight: float = MATCH_REVIEW_WEIGHT,
    limit: int = 10,
) -> list[Candidate]:
    """The patients who may be the probe's person, best first, at or above ``min_weight``.

    ``queryset`` narrows the search (``Patient.objects.visible_to(user)``); merged records are
    never candidates, their survivors are.
    """
    base = queryset if queryset is not None else Patient.objects.all()
    patients = _blocked(probe, base.order_by())
    if not patients:
        return []
    shared: set[int] = set()
    numbers = [n for n in probe.record_numbers if n]
    if numbers:
        shared = set(
            PatientIdentifier.objects.filter(
                patient_id__in=[p.pk for p in patients], value__in=numbers
            ).values_list("patient_id", flat=True)
        )
    probe_pinyin, probe_sound = name_pinyin(probe.name), name_sound(probe.name)
    scored = [
        compare(
            probe,
            patient,
            shared_record_number=patient.pk in shared,
            probe_pinyin=probe_pinyin,
            probe_sound=probe_sound,
        )
        for patient in patients
    ]
    best = sorted(
        (c for c in scored if c.weight >= min_weight), key=lambda c: (-c.weight, c.patient.pk)
    )
    return best[:limit]


def evidence_rows(evidence: Iterable[dict[str, Any] | Evidence]) -> list[dict[str, Any]]:
    """Evidence as plain dicts (as stored on a ``DuplicateCandidate``)."""
    return [e.as_dict() if isinstance(e, Evidence) else dict(e) for e in evidence]


@dataclass
class Offer:
    """A candidate as offered at registration: in full when the user may see the patient,
    otherwise only its evidence and the institutions that registered it."""

    candidate: Candidate
    visible: bool
    institutions: list[str]


def offers_for_registration(
    user: Any,
    *,
    name: str,
    sex: str = "",
    birth_date: datetime.date | None = None,
    id_number: str | None = None,
    phone: str = "",
    address: str = "",
    mrn: str | None = None,
) -> list[Offer]:
    """Possible matches to show before a new patient is created (none when the ID number is
    already registered: registration then finds that patient itself)."""
    from lianxin.patients.rules import normalise_phone

    number = clean_id_text(id_number)
    if number and Patient.objects.filter(id_number=number).exists():
        return []
    try:
        phone = normalise_phone(phone)
    except Exception:
        phone = ""
    probe = Probe(
        name=" ".join((name or "").split()),
        sex=sex or "",
        birth_date=birth_date,
        id_number=number,
        phone=phone,
        address=address or "",
        record_numbers=[mrn] if mrn else [],
    )
    if not probe.name:
        return []
    found = find_candidates(probe, limit=5)
    if not found:
        return []
    visible = set(
        Patient.objects.visible_to(user)
        .filter(pk__in=[c.patient.pk for c in found])
        .values_list("pk", flat=True)
    )
    places: dict[int, list[str]] = {}
    for patient_id, institution in PatientIdentifier.objects.filter(
        patient_id__in=[c.patient.pk for c in found]
    ).values_list("patient_id", "institution__name"):
        places.setdefault(patient_id, []).append(institution)
    return [Offer(c, c.patient.pk in visible, sorted(places.get(c.patient.pk, []))) for c in found]
