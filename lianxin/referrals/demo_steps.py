"""Demo step "referrals": a year of referrals and consultations in the demo county.

Fixture generation of a synthetic world (see ``lianxin.referrals.demo`` for what holds by
construction): about 0.45 up-referrals per resident and year from the township centres and village
clinics to the county hospitals (and from the county hospital on to the tertiary hospital), the
down-referrals their discharges send back with a care plan, emergencies on the green channel, and
0.12 remote or MDT consultations per resident and year. The recent ones are still open, a few
overdue and escalated. Reserved slots are published for the coming two weeks.

The demo accounts find work waiting: ``specialist`` and ``head`` (county cardiology) have new
referrals in their incoming list, one of them an emergency and one overdue; ``township`` has a
down-referral with its care plan under way and consultations it asked for; ``tertiary`` has a
referral from the county hospital.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from lianxin.demo.registry import register_step
from lianxin.referrals.demo import (
    CONDITIONS,
    CONSULTATIONS_PER_RESIDENT,
    DAY,
    HOUR,
    UP_REFERRALS_PER_RESIDENT,
    YEAR,
    ConsultationGenerator,
    ReferralGenerator,
    ReferralSpec,
    World,
    Written,
    historical_timestamps,
    random_uuid,
    referrals_for_a_year,
)
from lianxin.referrals.models import AppointmentSlot
from lianxin.referrals.rules import Urgency

STEP_ORDER = 110
SEED_OFFSET = 110  # the step's own random stream: other steps drawing more do not change it
# Departments that publish reserved slots (号源下沉), by (institution, department code).
SLOT_DEPARTMENTS = (
    ("county", "XXG"),
    ("county", "SJNK"),
    ("county", "HXNK"),
    ("county", "XHNK"),
    ("county", "NFM"),
    ("county", "SNK"),
    ("county", "PWK"),
    ("county", "GK"),
    ("county", "FCK"),
    ("county", "EK"),
    ("tcm", "GSK"),
    ("mch", "CK"),
)
SLOT_TIMES = [
    datetime.time(8, 0),
    datetime.time(8, 30),
    datetime.time(9, 0),
    datetime.time(9, 30),
    datetime.time(10, 0),
    datetime.time(10, 30),
    datetime.time(14, 30),
]
SLOT_DAYS_AHEAD = 14

_BY_CODE = {c.code: c for c in CONDITIONS}
MINUTE = datetime.timedelta(minutes=1)


def _account_place(world: World, county: Any, username: str, code: str | None):
    _user, _role, institution = county.accounts[username]
    return world.place(institution, code)


def showcase_referrals(world: World, county: Any, rng: random.Random) -> list[ReferralSpec]:
    """Recent referrals for the demo accounts, so that someone signing in sees work waiting."""
    now = world.now
    township = _account_place(world, county, "township", "QK")
    village = _account_place(world, county, "village", None)
    cardiology = _account_place(world, county, "specialist", "XXG")
    tertiary = _account_place(world, county, "tertiary", "XXG")
    residents = world.residents_by_village.get(village.institution.pk) or next(
        iter(world.residents_by_village.values())
    )
    generator = ReferralGenerator(world, rng)

    def spec(code: str, requester, performer, urgency: str, ago, fate: str = "", **kw):
        condition = _BY_CODE[code]
        pool = world.at_county_hospital if requester is cardiology else residents
        patient = generator.draw_patient(condition, pool or residents)
        return ReferralSpec(
            patient, condition, requester, performer, urgency, now - ago, fate=fate, **kw
        )

    return [
        # A green-channel emergency, minutes old: not yet overdue (15 minutes to answer).
        spec("I21.9", township, cardiology, Urgency.EMERGENCY, 6 * MINUTE, "stuck:requested"),
        spec("I10", township, cardiology, Urgency.ROUTINE, 2 * HOUR, "stuck:requested"),
        spec("I10", village, cardiology, Urgency.ROUTINE, 20 * HOUR, "stuck:requested"),
        spec("E11.9", township, cardiology, Urgency.ROUTINE, 3 * HOUR, "stuck:received"),
        # Left unanswered for three and a half days: overdue, escalated to the head and the duty
        # officer.
        spec("I50.9", township, cardiology, Urgency.ROUTINE, 3.5 * DAY, "stuck:requested"),
        spec(
            "I10",
            township,
            cardiology,
            Urgency.ROUTINE,
            3 * HOUR,
            "completed",
            booked=True,
            answered_after=HOUR,
        ),
        spec("I50.9", township, cardiology, Urgency.URGENT, 5 * DAY, "completed", booked=False),
        spec("I21.9", cardiology, tertiary, Urgency.URGENT, HOUR, "stuck:requested"),
        # Discharged about two weeks ago and sent back down: the township follows the plan.
        spec(
            "I10",
            township,
            cardiology,
            Urgency.ROUTINE,
            20 * DAY,
            "completed",
            booked=False,
            down=True,
        ),
    ]


def showcase_consultations(world: World, county: Any, rng: random.Random):
    now = world.now
    township = _account_place(world, county, "township", "QK")
    cardiology = _account_place(world, county, "specialist", "XXG")
    generator = ReferralGenerator(world, rng)
    residents = world.residents_by_village.get(
        _account_place(world, county, "village", None).institution.pk
    ) or next(iter(world.residents_by_village.values()))
    tertiary = _account_place(world, county, "tertiary", "XXG")
    drawn, fates = [], []
    for code, requester, performer, ago, fate in (
        ("I10", township, cardiology, 3 * HOUR, "stuck:requested"),
        ("I50.9", township, cardiology, 10 * HOUR, "completed"),
        ("E11.9", township, cardiology, 6 * DAY, "completed"),
        # The county cardiologists ask the tertiary hospital: one waits for an answer, one is
        # accepted and scheduled (its session lies ahead), so the tertiary login has work too.
        ("I50.9", cardiology, tertiary, 2 * HOUR, "stuck:requested"),
        ("I21.9", cardiology, tertiary, 30 * HOUR, "completed"),
    ):
        condition = _BY_CODE[code]
        pool = world.at_county_hospital if requester is cardiology else residents
        patient = generator.draw_patient(condition, pool or residents)
        spec = ReferralSpec(patient, condition, requester, performer, Urgency.ROUTINE, now - ago)
        drawn.append({"spec": spec, "mdt": False})
        fates.append(fate)
    return drawn, fates


def publish_slots(world: World, county: Any, rng: random.Random) -> int:
    """Reserved slots for the coming two weeks (weekday mornings and one afternoon slot), beside
    those already booked by the generated referrals."""
    now = world.now
    head = county.accounts.get("head", (None,))[0]
    taken = set(
        AppointmentSlot.objects.filter(starts_at__gt=now).values_list("department_id", "starts_at")
    )
    slots = []
    today = timezone.localdate(now)
    for place, code in SLOT_DEPARTMENTS:
        institution = world.institution(place)
        department = world.departments.get((institution.pk, code))
        if department is None:
            continue
        for ahead in range(1, SLOT_DAYS_AHEAD + 1):
            day = today + DAY * ahead
            if day.weekday() >= 5:
                continue
            for time in SLOT_TIMES:
                starts = timezone.make_aware(datetime.datetime.combine(day, time))
                if (department.pk, starts) in taken:
                    continue
                published = now - DAY * rng.randint(1, 10)
                slots.append(
                    AppointmentSlot(
                        external_id=random_uuid(rng),
                        institution=institution,
                        department=department,
                        practitioner_id=world.practitioner(rng, department),
                        starts_at=starts,
                        ends_at=starts + datetime.timedelta(minutes=30),
                        published_by=head if institution == world.county_hospital else None,
                        created_at=published,
                        updated_at=published,
                    )
                )
    with historical_timestamps(AppointmentSlot):
        AppointmentSlot.objects.bulk_create(slots)
    return len(slots)


def build_referrals(county: Any) -> Written:
    """The demo step: referrals, consultations and slots (see the module docstring)."""
    world = World.from_county(county)
    rng = random.Random(county.options.seed + SEED_OFFSET)
    residents = world.residents
    written = Written()
    if residents and world.residents_by_village:
        specs = referrals_for_a_year(world, rng, round(residents * UP_REFERRALS_PER_RESIDENT))
        specs += showcase_referrals(world, county, rng)
        written.add(ReferralGenerator(world, rng).write(specs))
        consultations = ConsultationGenerator(world, rng)
        count = round(residents * CONSULTATIONS_PER_RESIDENT)
        times = sorted(
            consultations.referrals.draw_time(world.now - YEAR, world.now) for _ in range(count)
        )
        drawn = [consultations.draw(at) for at in times]
        extra, fates = showcase_consultations(world, county, rng)
        written.add(consultations.write(drawn + extra, [""] * len(drawn) + fates))
    written.slots += publish_slots(world, county, rng)
    return written


register_step("referrals", build_referrals, order=STEP_ORDER)


# The results a referring doctor links to an up-referral: the patient's signed exams ordered by
# the referring institution in the three months before the referral, at most two.
LINK_WINDOW = 90 * DAY
LINKS_PER_REFERRAL = 2


def build_linked_results(county: Any) -> int:
    """Demo step "referral-results", after the exams: the network's results linked to the
    up-referrals as the referral form would have linked them (by the referring doctor, at the
    referral's creation); the audit step writes their audit rows."""
    from lianxin.diagnostics.models import ExamOrder
    from lianxin.referrals.models import Referral, ReferralResult
    from lianxin.referrals.rules import Direction

    signed: dict[tuple[int, int], list[tuple[datetime.datetime, int]]] = {}
    rows = ExamOrder.objects.filter(signed_at__isnull=False).values_list(
        "patient_id", "requester_institution_id", "signed_at", "pk"
    )
    for patient, institution, at, pk in rows.iterator(chunk_size=5000):
        signed.setdefault((patient, institution), []).append((at, pk))
    links = []
    referrals = Referral.objects.filter(direction=Direction.UP, requester__isnull=False)
    for pk, patient, institution, requester, created in referrals.values_list(
        "pk", "patient_id", "requester_institution_id", "requester_id", "created_at"
    ).iterator(chunk_size=5000):
        prior = [
            (at, order)
            for at, order in signed.get((patient, institution), ())
            if created - LINK_WINDOW <= at < created
        ]
        for _at, order in sorted(prior, reverse=True)[:LINKS_PER_REFERRAL]:
            links.append(
                ReferralResult(
                    referral_id=pk,
                    order_id=order,
                    linked_by_id=requester,
                    created_at=created,
                    updated_at=created,
                )
            )
    with historical_timestamps(ReferralResult):
        ReferralResult.objects.bulk_create(links, batch_size=2000)
    return len(links)


register_step("referral-results", build_linked_results, order=180)
