"""Demo step 2: about 400 practitioners with titles, specialties and procedure credentials.

Fixture generation (``bulk_create``, no audit rows). Names come from Faker's zh_CN provider;
licence numbers are demo numbers in the shape of a practising-certificate code, unique but not
real.
"""

from __future__ import annotations

import datetime
import random

from faker import Faker

from lianxin.demo import county as geo
from lianxin.demo.context import DemoCounty
from lianxin.demo.network import department_plan
from lianxin.network.models import Capability, Institution, Tier
from lianxin.workforce.models import Credential, Practitioner, Profession, Specialty, Title

# Title mix of physicians by tier (weights; a demo choice that follows the usual shape: senior
# titles concentrate at the tertiary hospital, assistants and village doctors at the base).
TITLE_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    Tier.TERTIARY: (
        (Title.CHIEF, 0.20),
        (Title.ASSOCIATE_CHIEF, 0.30),
        (Title.ATTENDING, 0.35),
        (Title.RESIDENT, 0.15),
    ),
    Tier.COUNTY_HOSPITAL: (
        (Title.CHIEF, 0.08),
        (Title.ASSOCIATE_CHIEF, 0.22),
        (Title.ATTENDING, 0.40),
        (Title.RESIDENT, 0.30),
    ),
    Tier.COUNTY_TCM: (
        (Title.CHIEF, 0.05),
        (Title.ASSOCIATE_CHIEF, 0.20),
        (Title.ATTENDING, 0.40),
        (Title.RESIDENT, 0.35),
    ),
    Tier.TOWNSHIP: (
        (Title.ASSOCIATE_CHIEF, 0.05),
        (Title.ATTENDING, 0.35),
        (Title.RESIDENT, 0.40),
        (Title.ASSISTANT, 0.20),
    ),
    Tier.VILLAGE: ((Title.VILLAGE_DOCTOR, 0.85), (Title.ASSISTANT, 0.15)),
}
TITLE_MIX[Tier.COUNTY_MCH] = TITLE_MIX[Tier.COUNTY_TCM]
TECHNICIAN_MIX = ((Title.TECHNICIAN_IN_CHARGE, 0.4), (Title.TECHNICIAN, 0.6))
NURSE_MIX = ((Title.SUPERVISOR_NURSE, 0.5), (Title.NURSE, 0.5))
# Departments where most staff are women (obstetrics, gynaecology, child and women's health).
MOSTLY_WOMEN = frozenset({"FCK", "FK", "CK", "EBK", "FBK"})

SENIOR = (Title.CHIEF, Title.ASSOCIATE_CHIEF)
SENIOR_OR_ATTENDING = (Title.CHIEF, Title.ASSOCIATE_CHIEF, Title.ATTENDING)

# Which practitioners hold which procedure credentials:
# (tier, department code, eligible titles, procedures, at most how many per institution).
CREDENTIAL_RULES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], int], ...] = (
    (Tier.TERTIARY, "XXG", SENIOR_OR_ATTENDING, ("pci", "thrombolysis_stemi"), 4),
    (Tier.TERTIARY, "SJNK", SENIOR_OR_ATTENDING, ("thrombolysis_stroke",), 3),
    (Tier.TERTIARY, "SJNK", SENIOR, ("mechanical_thrombectomy",), 2),
    (Tier.TERTIARY, "JZWK", SENIOR_OR_ATTENDING, ("cervical_spine_surgery",), 3),
    (Tier.TERTIARY, "PWK", SENIOR_OR_ATTENDING, ("trauma_surgery", "appendectomy"), 3),
    (Tier.TERTIARY, "FCK", SENIOR_OR_ATTENDING, ("caesarean_section", "obstetric_surgery"), 3),
    (Tier.TERTIARY, "ICU", SENIOR, ("ecmo_support",), 2),
    (Tier.COUNTY_HOSPITAL, "XXG", SENIOR_OR_ATTENDING, ("thrombolysis_stemi",), 4),
    (Tier.COUNTY_HOSPITAL, "JZ", SENIOR_OR_ATTENDING, ("thrombolysis_stemi",), 3),
    (Tier.COUNTY_HOSPITAL, "SJNK", SENIOR_OR_ATTENDING, ("thrombolysis_stroke",), 3),
    (Tier.COUNTY_HOSPITAL, "GK", SENIOR, ("cervical_spine_surgery",), 1),
    (Tier.COUNTY_HOSPITAL, "PWK", SENIOR_OR_ATTENDING, ("appendectomy", "trauma_surgery"), 4),
    (
        Tier.COUNTY_HOSPITAL,
        "FCK",
        SENIOR_OR_ATTENDING,
        ("caesarean_section", "vaginal_delivery"),
        4,
    ),
    (Tier.COUNTY_HOSPITAL, "XHNK", SENIOR_OR_ATTENDING, ("endoscopic_haemostasis",), 2),
    (Tier.COUNTY_HOSPITAL, "XHNK", SENIOR_OR_ATTENDING, ("endoscopic_polypectomy",), 2),
    (Tier.COUNTY_HOSPITAL, "SNK", SENIOR_OR_ATTENDING, ("hemodialysis",), 2),
    (Tier.COUNTY_TCM, "ZXY", SENIOR_OR_ATTENDING, ("endoscopic_polypectomy",), 1),
    (Tier.COUNTY_MCH, "CK", SENIOR_OR_ATTENDING, ("caesarean_section", "vaginal_delivery"), 3),
    (Tier.COUNTY_MCH, "FK", SENIOR_OR_ATTENDING, ("obstetric_surgery",), 2),
    (Tier.TOWNSHIP, "FCK", (*SENIOR_OR_ATTENDING, Title.RESIDENT), ("vaginal_delivery",), 1),
    # 基层胸痛救治单元: a township doctor trained for STEMI thrombolysis before transfer.
    (Tier.TOWNSHIP, "QK", SENIOR_OR_ATTENDING, ("thrombolysis_stemi",), 1),
    (Tier.TOWNSHIP, "WK", (*SENIOR_OR_ATTENDING, Title.RESIDENT), ("appendectomy",), 1),
)
# Townships whose doctors are credentialed for STEMI thrombolysis and appendectomy (by index).
TOWNSHIPS_WITH_CHEST_PAIN_UNIT = (2, 5, 8)


def _weighted(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([t for t, _ in mix], weights=[w for _, w in mix], k=1)[0]


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


class _Namer:
    def __init__(self, seed: int) -> None:
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)

    def __call__(self, sex: str) -> str:
        return self.faker.name_female() if sex == "F" else self.faker.name_male()


def build_practitioners(county: DemoCounty) -> None:
    rng = county.rng
    namer = _Namer(county.options.seed)
    specialties = {s.code: s for s in Specialty.objects.all()}
    rows: list[tuple[Practitioner, str]] = []
    counter = 0

    def licence(profession: str) -> str:
        nonlocal counter
        counter += 1
        # Physicians: 1 (physician) + 1 (practising) + 0 + county code + serial; others: staff no.
        if profession == Profession.PHYSICIAN:
            return f"110{geo.COUNTY_CODE}{counter:06d}"
        return f"NJ{profession[:1].upper()}{counter:07d}"

    def add(inst: Institution, dept_code: str | None, title: str, profession: str, spec: str):
        women = dept_code in MOSTLY_WOMEN or profession == Profession.NURSE
        sex = "F" if rng.random() < (0.85 if women else 0.45) else "M"
        practitioner = Practitioner(
            name=namer(sex),
            sex=sex,
            profession=profession,
            title=title,
            licence_number=licence(profession),
            institution=inst,
            department=county.departments.get((inst.pk, dept_code)) if dept_code else None,
            phone=_mobile(rng),
        )
        rows.append((practitioner, spec))

    for inst, dept in department_plan(county):
        mix = TITLE_MIX.get(inst.tier, TITLE_MIX[Tier.COUNTY_HOSPITAL])
        for _ in range(dept.physicians):
            add(inst, dept.code, _weighted(rng, mix), Profession.PHYSICIAN, dept.specialty)
        for _ in range(dept.technicians):
            profession = Profession.NURSE if dept.code == "XDGY" else Profession.TECHNICIAN
            title_mix = NURSE_MIX if profession == Profession.NURSE else TECHNICIAN_MIX
            add(inst, dept.code, _weighted(rng, title_mix), profession, "")
    for village in county.villages:
        add(village, None, _weighted(rng, TITLE_MIX[Tier.VILLAGE]), Profession.PHYSICIAN, "02")

    created = Practitioner.objects.bulk_create([p for p, _ in rows])
    links = [
        Practitioner.specialties.through(practitioner_id=p.pk, specialty_id=specialties[code].pk)
        for p, (_, code) in zip(created, rows, strict=True)
        if code in specialties
    ]
    Practitioner.specialties.through.objects.bulk_create(links)
    county.practitioners = created


def build_credentials(county: DemoCounty) -> None:
    capabilities = {c.code: c for c in Capability.objects.filter(kind="procedure")}
    granted = datetime.date(county.options.today.year - 2, 3, 1)
    chest_pain_townships = {county.townships[i].pk for i in TOWNSHIPS_WITH_CHEST_PAIN_UNIT}
    by_place: dict[tuple[int, str | None], list[Practitioner]] = {}
    tiers: dict[int, str] = {}
    for p in county.practitioners:
        code = p.department.code if p.department_id else None
        by_place.setdefault((p.institution_id, code), []).append(p)
        tiers[p.institution_id] = p.institution.tier
    rows: dict[tuple[int, int], Credential] = {}
    for (inst_id, dept_code), staff in by_place.items():
        for tier, rule_dept, titles, procedures, limit in CREDENTIAL_RULES:
            if tiers[inst_id] != tier or dept_code != rule_dept:
                continue
            local_unit = tier == Tier.TOWNSHIP and rule_dept in {"QK", "WK"}
            if local_unit and inst_id not in chest_pain_townships:
                continue
            eligible = [p for p in staff if p.title in titles][:limit]
            for practitioner in eligible:
                for code in procedures:
                    rows[(practitioner.pk, capabilities[code].pk)] = Credential(
                        practitioner=practitioner,
                        capability=capabilities[code],
                        granted_on=granted,
                        granted_by_id=inst_id,
                    )
    Credential.objects.bulk_create(rows.values())


def build_workforce(county: DemoCounty) -> None:
    build_practitioners(county)
    build_credentials(county)
