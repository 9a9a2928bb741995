"""Demo step "diagnostics": a year of exams read by the county's shared centres.

Service agreements send every township centre's, the TCM and maternal-child hospitals' and the
county hospital's own exams to the four shared centres at the county hospital (imaging, ECG,
laboratory, pathology); imaging overflows to the tertiary hospital's imaging department. About
0.4 exams per resident and year (see ``lianxin.diagnostics.demo`` for what holds by
construction), some with critical values or findings, some recognised instead of repeated; the
last hours' exams are still waiting, so the demo account ``imaging`` finds a worklist and
``township`` an unacknowledged critical result.

The readers and ordering doctors are user accounts made for practitioners already in the demo
(no password: they do not sign in); each site gets a duty phone.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from lianxin.core.models import User
from lianxin.core.permissions import Role
from lianxin.demo.registry import register_step
from lianxin.diagnostics.demo import HOUR, Generator, Setting, Written, patients_by_site
from lianxin.diagnostics.models import DutyPhone, ServiceAgreement
from lianxin.workforce.models import ATTENDING_OR_ABOVE, Membership, Practitioner

STEP_ORDER = 120
SEED_OFFSET = 120
EXAMS_PER_RESIDENT = 0.4
CENTRE_CODES = {"imaging": "YXZX", "ecg": "XDZX", "laboratory": "JYZX", "pathology": "BLZX"}
RECENT = 16  # exams of the last hours, left in every open step
# Village clinics given a networked 12-lead ECG cart by the county ECG centre (心电一张网), and
# how many ECGs each sends a month on average: the village ECG coverage indicator's data.
SHARE_VILLAGES_WITH_ECG = 0.6
VILLAGE_ECGS_PER_MONTH = 2


def _account(practitioner: Practitioner, username: str, role: str, institution, department):
    user = practitioner.user
    if user is None:
        user = User(username=username, display_name=practitioner.name, phone=practitioner.phone)
        user.set_unusable_password()
        user.save()
        practitioner.user = user
        practitioner.save(update_fields=["user"])
        Membership.objects.create(
            user=user, institution=institution, department=department, role=role
        )
    return user.pk


def setting_for(county: Any, now: datetime.datetime | None = None) -> Setting:
    """Agreements, readers, doctors and duty phones for the demo county (idempotent enough to
    be called by the benchmark after the demo build)."""
    hospital = county.county_hospital
    centres = {
        kind: county.departments[(hospital.pk, code)]
        for kind, code in CENTRE_CODES.items()
        if (hospital.pk, code) in county.departments
    }
    sites = [hospital, county.county_tcm, county.county_mch, *county.townships]
    sites = [s for s in sites if s is not None]
    picker = random.Random(county.options.seed + SEED_OFFSET + 1)
    villages = sorted(county.villages, key=lambda v: v.pk)
    ecg_sites = picker.sample(villages, round(len(villages) * SHARE_VILLAGES_WITH_ECG))
    ecg_sites = ecg_sites if "ecg" in centres else []
    since = datetime.date(2019, 9, 1)
    if not ServiceAgreement.objects.filter(site__in=sites).exists():
        ServiceAgreement.objects.bulk_create(
            [
                *(
                    ServiceAgreement(site=site, centre=dept, centre_type=kind, starts_on=since)
                    for site in sites
                    for kind, dept in centres.items()
                ),
                *(
                    ServiceAgreement(
                        site=site, centre=centres["ecg"], centre_type="ecg", starts_on=since
                    )
                    for site in ecg_sites
                ),
            ]
        )
        DutyPhone.objects.bulk_create(
            DutyPhone(institution=site, label="总值班", phone=site.phone or "0596-0000000")
            for site in sites
        )
    readers: dict[str, list[int]] = {}
    for kind, dept in centres.items():
        people = Practitioner.objects.filter(department=dept, title__in=ATTENDING_OR_ABOVE)
        readers[kind] = [
            _account(p, f"reader_{dept.code.lower()}_{p.pk}", Role.CENTRE_STAFF, hospital, dept)
            for p in people
        ] or [county.accounts["imaging"][0].pk]
    tertiary_department = None
    if county.tertiary is not None:
        tertiary_department = county.departments.get((county.tertiary.pk, "YXK"))
        if tertiary_department is not None:
            people = Practitioner.objects.filter(
                department=tertiary_department, title__in=ATTENDING_OR_ABOVE
            )
            readers["tertiary"] = [
                _account(
                    p,
                    f"reader_tertiary_{p.pk}",
                    Role.CLINICIAN,
                    county.tertiary,
                    tertiary_department,
                )
                for p in people
            ]
    doctors: dict[int, list[int]] = {}
    for site in sites:
        people = Practitioner.objects.filter(institution=site, profession="physician").exclude(
            department__kind="shared_centre"
        )[:3]
        doctors[site.pk] = [
            _account(p, f"doctor_{site.pk}_{p.pk}", Role.CLINICIAN, site, p.department)
            for p in people
        ]
    for site in ecg_sites:
        # The village doctor records the ECG (whatever their registered profession).
        people = Practitioner.objects.filter(institution=site)[:1]
        doctors[site.pk] = [
            _account(p, f"doctor_{site.pk}_{p.pk}", Role.CLINICIAN, site, p.department)
            for p in people
        ]
    township_user, _role, township = county.accounts.get("township", (None, None, None))
    if township_user is not None:
        doctors.setdefault(township.pk, []).insert(0, township_user.pk)
    kwargs = {"now": now} if now is not None else {}
    return Setting(
        sites=sites,
        patients_by_site=patients_by_site([s.pk for s in (*sites, *ecg_sites)]),
        centres=centres,
        readers=readers,
        doctors=doctors,
        tertiary=county.tertiary,
        tertiary_department=tertiary_department,
        ecg_sites=ecg_sites,
        **kwargs,
    )


def build_diagnostics(county: Any) -> Written:
    from lianxin.referrals.demo import anchor_time

    setting = setting_for(county, anchor_time(county.options.today))
    written = Written()
    if not any(setting.patients_by_site.values()) or not setting.centres:
        return written
    rng = random.Random(county.options.seed + SEED_OFFSET)
    generator = Generator(setting, rng)
    written.add(generator.write(round(county.residents * EXAMS_PER_RESIDENT)))
    village_ecgs = len(setting.ecg_sites) * VILLAGE_ECGS_PER_MONTH * 12
    written.add(generator.write(village_ecgs, sites=setting.ecg_sites, centre_type="ecg"))
    generator.hold_for_reading = True
    written.add(generator.write(RECENT, start=setting.now - 6 * HOUR))
    return written


register_step("diagnostics", build_diagnostics, order=STEP_ORDER)

# Pathology specimens of the open pathology orders (a step of its own, through the actions).
from lianxin.diagnostics import demo_specimens  # noqa: E402, F401

# Images from the imaging centre's modalities over DICOM (interfaces), on some imaging orders.
from lianxin.interfaces.dicom import demo as dicom_demo  # noqa: E402, F401

# Laboratory results from the county LIS over HL7 v2 (interfaces), after the open orders exist.
from lianxin.interfaces.hl7 import demo as hl7_demo  # noqa: E402, F401
