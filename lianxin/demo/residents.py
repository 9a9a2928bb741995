"""Demo step 3: the county's residents, registered at their township centre.

Fixture generation of a synthetic population, so it bypasses ``patients.actions`` (which validate
one typed record at a time and audit each): rows are made in memory and written with
``bulk_create`` in batches, inside the build's transaction. What the actions would check holds by
construction: every ID number is valid (GB 11643-1999) and unique, and agrees with the birth date
and sex; pinyin initials come from the same ``name_initials`` as registration (cached per name).

Each resident has an MRN at their township centre, and about a quarter also one at the county
hospital, in the ``<institution code>-000123`` form the registration action uses.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import uuid
from collections.abc import Iterator

from faker.providers.person.zh_CN import Provider as ZhNames

from lianxin.core.idnumber import make_id_number
from lianxin.demo import county as geo
from lianxin.demo.context import DemoCounty
from lianxin.network.models import Institution
from lianxin.patients.models import IdentifierKind, Patient, PatientIdentifier, Sex
from lianxin.patients.pinyin import name_initials, name_sound
from lianxin.patients.rules import MRN_DIGITS

# Age pyramid of a rural county with working-age out-migration, by 5-year band (0-4 … 95-99):
# weights chosen for the demo (a census-like shape, not census figures).
AGE_BANDS = (5.0, 5.6, 6.0, 5.8, 4.4, 4.6, 5.6, 6.4, 7.4, 8.4, 8.2, 7.6, 7.2, 6.0, 4.6, 3.2, 2.0,
             1.0, 0.4, 0.1)  # fmt: skip
MALE_SHARE = 0.515  # about 106 men per 100 women below 80
MALE_SHARE_80_PLUS = 0.42  # women outlive men
SHARE_ALSO_AT_COUNTY_HOSPITAL = 0.25
SHARE_TWO_CHARACTER_GIVEN_NAME = 0.7
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "157", "158", "159", "177", "180", "181", "186", "187", "188",
                   "189", "199")  # fmt: skip


class _Names:
    """Names from Faker's zh_CN lists, drawn with our own seeded generator (much faster than
    calling Faker per resident); given names of two characters are composed from two entries."""

    def __init__(self) -> None:
        surnames = list(ZhNames.last_names)
        weights = [
            ZhNames.last_names[s] * geo.REGIONAL_SURNAME_WEIGHT.get(s, 1.0) for s in surnames
        ]
        self.surnames = surnames
        self.surname_cum = list(itertools.accumulate(weights))
        self.total = self.surname_cum[-1]
        self.given = {
            "1": [n for n in ZhNames.first_names_male if len(n) == 1],
            "2": [n for n in ZhNames.first_names_female if len(n) == 1],
        }
        self.given_full = {
            "1": list(ZhNames.first_names_male),
            "2": list(ZhNames.first_names_female),
        }

    def draw(self, rng, sex: str) -> str:
        surname = self.surnames[bisect.bisect(self.surname_cum, rng.random() * self.total)]
        if rng.random() < SHARE_TWO_CHARACTER_GIVEN_NAME:
            first, second = rng.sample(self.given[sex], 2)
            return surname + first + second
        return surname + rng.choice(self.given_full[sex])


def _plan_villages(county: DemoCounty) -> tuple[list[Institution], list[float]]:
    """Villages with a weight each: the township's population share spread unevenly."""
    rng = county.rng
    shares = {t.code: t.population_share for t in geo.TOWNSHIPS}
    villages: list[Institution] = []
    weights: list[float] = []
    for township in county.townships:
        mine = [v for v in county.villages if v.parent_id == township.pk]
        raw = [rng.uniform(0.5, 1.5) for _ in mine]
        total = sum(raw)
        for village, w in zip(mine, raw, strict=True):
            villages.append(village)
            weights.append(shares[township.division_code] * w / total)
    return villages, weights


def _resident_rows(county: DemoCounty) -> Iterator[tuple[Patient, Institution, bool, Institution]]:
    rng = county.rng
    options = county.options
    today_ordinal = options.today.toordinal()
    names = _Names()
    initials_cache: dict[str, tuple[str, str]] = {}
    villages, weights = _plan_villages(county)
    township_by_id = {t.pk: t for t in county.townships}
    town_names = {t.code: t.name for t in geo.TOWNSHIPS}
    prefix = f"{geo.PROVINCE}{geo.CITY}{geo.COUNTY}"
    used_orders: dict[int, set[int]] = {}
    band_index = range(len(AGE_BANDS))

    remaining = options.residents
    while remaining > 0:
        k = min(remaining, 5000)
        remaining -= k
        places = rng.choices(villages, weights=weights, k=k)
        bands = rng.choices(band_index, weights=AGE_BANDS, k=k)
        for village, band in zip(places, bands, strict=True):
            age_days = int((band * 5 + rng.random() * 5) * 365.2425)
            birth_ordinal = today_ordinal - max(age_days, 1)
            male_share = MALE_SHARE_80_PLUS if band >= 16 else MALE_SHARE
            sex = Sex.MALE if rng.random() < male_share else Sex.FEMALE
            # Order codes are odd for men, even for women (GB 11643-1999 §7.3); 000 is not issued.
            while True:
                used = used_orders.setdefault(birth_ordinal, set())
                order = next((o for o in _order_candidates(rng, sex) if o not in used), None)
                if order is not None:
                    used.add(order)
                    break
                birth_ordinal -= 1  # every code of that day is taken: the day before
            birth = datetime.date.fromordinal(birth_ordinal)
            name = names.draw(rng, sex)
            keys = initials_cache.get(name)
            if keys is None:
                keys = initials_cache[name] = (name_initials(name), name_sound(name))
            initials, sound = keys
            township = township_by_id[village.parent_id]
            village_name = village.short_name.removesuffix("卫生室")
            elderly = band >= 15
            phone = "" if elderly and rng.random() < 0.3 else _mobile(rng)
            patient = Patient(
                external_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                name=name,
                name_initials=initials,
                name_sound=sound,
                sex=sex,
                birth_date=birth,
                id_number=make_id_number(geo.COUNTY_CODE, birth, order),
                phone=phone,
                address=(
                    f"{prefix}{town_names[township.division_code]}{village_name}"
                    f"{rng.randint(1, 220)}号"
                ),
                division_code=village.division_code,
                ethnicity="汉族",
            )
            yield patient, township, rng.random() < SHARE_ALSO_AT_COUNTY_HOSPITAL, village


def _order_candidates(rng, sex: str) -> Iterator[int]:
    """Random tries first (cheap while a day is sparse), then every code of the right parity."""
    start = 1 if sex == Sex.MALE else 2
    for _ in range(8):
        yield start + 2 * rng.randrange(0, 500 if start == 1 else 499)
    yield from range(start, 1000, 2)


def _mobile(rng) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(100_000_000):08d}"


def build_residents(county: DemoCounty) -> None:
    options = county.options
    counters: dict[int, int] = {}
    hospital = county.county_hospital
    rows = _resident_rows(county)
    written = 0
    while True:
        batch = list(itertools.islice(rows, options.batch_size))
        if not batch:
            break
        patients = Patient.objects.bulk_create([row[0] for row in batch])
        identifiers: list[PatientIdentifier] = []
        for patient, (_, township, at_county, village) in zip(patients, batch, strict=True):
            # Every resident is on the books of their village clinic and township centre
            # (乡村一体化: the village doctor keeps the residents' health records).
            for inst, wanted in ((village, True), (township, True), (hospital, at_county)):
                if not wanted:
                    continue
                counters[inst.pk] = number = counters.get(inst.pk, 0) + 1
                identifiers.append(
                    PatientIdentifier(
                        patient=patient,
                        institution=inst,
                        kind=IdentifierKind.MRN,
                        value=f"{inst.code}-{number:0{MRN_DIGITS}d}",
                    )
                )
        PatientIdentifier.objects.bulk_create(identifiers)
        written += len(batch)
    county.residents = written
