"""Synthetic family-doctor year for the demo county and the benchmark.

Fixture generation, like the other apps' demo modules: rows are made in memory and written with
``bulk_create`` instead of through the actions (which take a transaction and an audit row per
step). What the actions would write holds by construction: one active contract per resident, a
basic package on every contract, a plan per programme of a contracted resident with its
``create`` history row, visits inside the contract's period, each plan's due date and control the
rules' (``assess.next_due`` / ``assess.control``) for its last visit, and an overdue plan carrying
the escalation rows ``escalate_overdue`` would have written (at most two levels).

Volumes are demo choices (a rural county in 2024): about 30 % of residents contracted, 75 % of the
key populations; hypertension in 12-42 % and type-2 diabetes in 5-14 % of the over-35s, rising
with age; about 12 % of chronic plans overdue today.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from lianxin.core.workflow import Side, Status
from lianxin.network.models import Institution
from lianxin.patients.models import Patient
from lianxin.primarycare import assess
from lianxin.primarycare.models import (
    Assessment,
    Contract,
    ContractPackage,
    FollowUpPlan,
    FollowUpPlanTransition,
    KeyPopulation,
    PopulationSource,
    ServicePackage,
    Team,
    TeamMember,
    TeamVillage,
    Visit,
    end_of_day,
)
from lianxin.primarycare.rules import (
    CHRONIC,
    ESCALATE_EVERY,
    MAX_ESCALATION_LEVEL,
    SCHEDULES,
    Control,
    Population,
    TeamRole,
)
from lianxin.workforce.models import Practitioner, Profession

SHARE_CONTRACTED = 0.30
SHARE_KEY_CONTRACTED = 0.75
SHARE_ON_TIME = 0.86
SHARE_PHONE = 0.08
SHARE_LAPSED = 0.12  # chronic plans whose last follow-up was missed: overdue today
VILLAGES_PER_TEAM = 12
BATCH = 5000
# bulk_update writes one CASE WHEN per field with a branch per row, which PostgreSQL reads row by
# row: a batch costs rows², so the plans' update goes in smaller batches (5,000 took minutes each).
UPDATE_BATCH = 500
HYPERTENSION_BY_AGE = ((35, 0.12), (55, 0.28), (65, 0.42))
DIABETES_BY_AGE = ((35, 0.05), (55, 0.10), (65, 0.14))


def _share(table, age: int) -> float:
    share = 0.0
    for low, value in table:
        if age >= low:
            share = value
    return share


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A working-hours moment of ``day``, never later than now: what happened today happened
    before the build (a contract signed "at 13:43" at three in the morning is in the future)."""
    moment = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(8 + rng.randrange(9), rng.randrange(60)))
    )
    return min(
        moment, timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=1)
    )


@dataclass
class Written:
    teams: int = 0
    contracts: int = 0
    plans: int = 0
    visits: int = 0
    overdue: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def build_teams(
    townships: Sequence[Institution],
    villages: Sequence[Institution],
    *,
    leads: dict[int, Practitioner] | None = None,
    village_doctors: dict[int, Practitioner] | None = None,
) -> dict[int, Team]:
    """One team per twelve villages of each township, led by a general practitioner of the
    centre, with its internist, public-health doctor and the village doctors. Returns village
    id → team."""
    leads, village_doctors = leads or {}, village_doctors or {}
    staff: dict[int, list[Practitioner]] = defaultdict(list)
    ids = [t.pk for t in townships] + [v.pk for v in villages]
    for p in (
        Practitioner.objects.filter(institution_id__in=ids, is_active=True)
        .select_related("department")
        .order_by("pk")
    ):
        staff[p.institution_id].append(p)
    by_township: dict[int, list[Institution]] = defaultdict(list)
    for v in villages:
        by_township[v.parent_id].append(v)
    teams: list[Team] = []
    plan: list[tuple[Team, list[Institution], list[tuple[Practitioner, str]]]] = []
    for township in townships:
        mine = by_township.get(township.pk, [])
        groups = max(1, -(-len(mine) // VILLAGES_PER_TEAM))
        people = staff[township.pk]
        gps = [p for p in people if p.department and p.department.code == "QK"] or people[:1]
        others = [p for p in people if p.department and p.department.code in ("NK", "GW")]
        nurses = [p for p in people if p.profession == Profession.NURSE]
        for g in range(groups):
            chunk = mine[g::groups]
            short = township.short_name or township.name
            team = Team(name=f"{short}家庭医生团队{g + 1}", institution=township)
            lead = leads.get(township.pk) if g == 0 else None
            lead = lead or gps[g % len(gps)] if gps else lead
            members: list[tuple[Practitioner, str]] = []
            if lead is not None:
                members.append((lead, TeamRole.LEAD))
            for p in others[g::groups] + nurses[g::groups]:
                role = (
                    TeamRole.NURSE
                    if p.profession == Profession.NURSE
                    else TeamRole.PUBLIC_HEALTH
                    if p.department.code == "GW"
                    else TeamRole.DOCTOR
                )
                if p != lead:
                    members.append((p, role))
            for v in chunk:
                doctors = staff[v.pk][:1]
                if v.pk in village_doctors:
                    doctors = [village_doctors[v.pk], *doctors]
                members += [(d, TeamRole.VILLAGE_DOCTOR) for d in dict.fromkeys(doctors)]
            teams.append(team)
            plan.append((team, chunk, members))
    Team.objects.bulk_create(teams)
    TeamVillage.objects.bulk_create(
        TeamVillage(team=team, village=v) for team, chunk, _m in plan for v in chunk
    )
    seen: set[tuple[int, int]] = set()
    rows = []
    for team, _chunk, members in plan:
        for p, role in members:
            if (team.pk, p.pk) not in seen:
                seen.add((team.pk, p.pk))
                rows.append(TeamMember(team=team, practitioner=p, role=role))
    TeamMember.objects.bulk_create(rows)
    return {v.pk: team for team, chunk, _m in plan for v in chunk}


def build_year(
    team_of_village: dict[int, Team],
    rng: random.Random,
    now: datetime.datetime,
) -> Written:
    """Key populations, contracts, plans and a year of follow-ups for every resident of the
    teams' villages."""
    written = Written(teams=len({t.pk for t in team_of_village.values()}))
    today = timezone.localdate(now)
    village_by_code = {}
    for v in Institution.objects.filter(pk__in=team_of_village).only("pk", "division_code"):
        village_by_code[v.division_code] = v.pk
    packages = {p.code: p for p in ServicePackage.objects.all()}
    basic, chronic_pkg, elderly_pkg = packages["BASIC"], packages["CHRONIC"], packages["ELDERLY"]
    leads = {
        m.team_id: m.practitioner_id
        for m in TeamMember.objects.filter(team__in=set(team_of_village.values()))
    }
    village_doctor = {
        (m.team_id, m.practitioner.institution_id): m.practitioner_id
        for m in TeamMember.objects.filter(role=TeamRole.VILLAGE_DOCTOR).select_related(
            "practitioner"
        )
    }
    for m in TeamMember.objects.filter(role=TeamRole.LEAD):
        leads[m.team_id] = m.practitioner_id
    residents = Patient.objects.filter(
        division_code__in=village_by_code, deceased_on__isnull=True
    ).values_list("pk", "birth_date", "sex", "division_code")
    keys: list[KeyPopulation] = []
    contracts: list[Contract] = []
    lines: list[tuple[Contract, list[ServicePackage]]] = []
    chronic_of: dict[int, set[str]] = {}
    anchors: dict[tuple[int, str], datetime.date] = {}
    for pk, birth, sex, code in residents.iterator(chunk_size=BATCH):
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        diseases = set()
        if age >= 35 and rng.random() < _share(HYPERTENSION_BY_AGE, age):
            diseases.add(Population.HYPERTENSION)
        if age >= 35 and rng.random() < _share(DIABETES_BY_AGE, age):
            diseases.add(Population.DIABETES)
        if sex == "2" and 20 <= age <= 39 and rng.random() < 0.02:
            diseases.add(Population.PREGNANT)
        last_period = today - datetime.timedelta(days=rng.randrange(20, 320))
        for d in diseases:
            keys.append(
                KeyPopulation(
                    patient_id=pk,
                    population=d,
                    source=PopulationSource.DIAGNOSIS,
                    diagnosis_code={"hypertension": "I10", "diabetes": "E11.9"}.get(d, "Z34.9"),
                    # A pregnancy is recorded from the last menstrual period (its schedule's
                    # anchor); a chronic disease from its diagnosis years back.
                    since=last_period
                    if d == Population.PREGNANT
                    else today - datetime.timedelta(days=rng.randrange(200, 3000)),
                )
            )
        key = bool(diseases) or age >= 65 or age <= 6
        if rng.random() >= (SHARE_KEY_CONTRACTED if key else SHARE_CONTRACTED):
            continue
        village = village_by_code[code]
        team = team_of_village[village]
        starts = today - datetime.timedelta(days=rng.randrange(0, 365))
        ends = _year_on(starts)
        chosen = [basic]
        if diseases & {Population.HYPERTENSION, Population.DIABETES}:
            chosen.append(chronic_pkg)
        if age >= 65:
            chosen.append(elderly_pkg)
        signed = _at(starts, rng)
        doctor = village_doctor.get((team.pk, village)) or leads[team.pk]
        contract = Contract(
            external_id=_uuid(rng),
            patient_id=pk,
            team=team,
            doctor_id=doctor,
            village_id=village,
            fee_total=sum((p.fee for p in chosen), start=Decimal(0)),
            starts_on=starts,
            ends_on=ends,
            consent_method="signature" if age < 80 else "guardian",
            consent_by="本人" if age < 80 else "家属",
            consent_at=signed,
            created_at=signed,
            updated_at=signed,
        )
        contracts.append(contract)
        lines.append((contract, chosen))
        programmes = diseases & {Population.HYPERTENSION, Population.DIABETES}
        if age >= 65:
            programmes.add(Population.ELDERLY)
        if age <= 6:
            programmes.add(Population.CHILD)
            anchors[(pk, Population.CHILD)] = birth
        if Population.PREGNANT in diseases:
            programmes.add(Population.PREGNANT)
            anchors[(pk, Population.PREGNANT)] = last_period
        chronic_of[pk] = programmes
    KeyPopulation.objects.bulk_create(keys, batch_size=BATCH)
    from lianxin.referrals.demo import historical_timestamps

    with historical_timestamps(Contract, Visit, FollowUpPlan):
        Contract.objects.bulk_create(contracts, batch_size=BATCH)
        ContractPackage.objects.bulk_create(
            (ContractPackage(contract=c, package=p, fee=p.fee) for c, ps in lines for p in ps),
            batch_size=BATCH,
        )
        written.contracts = len(contracts)
        _follow_ups(contracts, chronic_of, anchors, rng, now, written)
    return written


def _year_on(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1) - datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@dataclass
class _Patient:
    systolic: int
    diastolic: int
    glucose: float
    weight: float


def _measure(base: _Patient, rng: random.Random, diabetic: bool) -> assess.Measurements:
    s = int(rng.gauss(base.systolic, 9))
    d = min(int(rng.gauss(base.diastolic, 6)), s - 25)
    return assess.Measurements(
        systolic=max(90, min(s, 230)),
        diastolic=max(50, min(d, 130)),
        heart_rate=int(rng.gauss(76, 8)),
        glucose=Decimal(str(round(max(3.5, rng.gauss(base.glucose, 1.1)), 1)))
        if diabetic
        else None,
        weight_kg=Decimal(str(round(rng.gauss(base.weight, 1.0), 1))),
    )


def _follow_ups(contracts, chronic_of, anchors, rng, now, written: Written) -> None:
    today = timezone.localdate(now)
    plans: list[FollowUpPlan] = []
    schedule: list[tuple[FollowUpPlan, Contract]] = []
    for c in contracts:
        for programme in sorted(chronic_of.get(c.patient_id, ())):
            created = c.consent_at
            anchor = anchors.get((c.patient_id, programme))
            step, first_due = 0, c.starts_on + datetime.timedelta(days=14)
            if programme in SCHEDULES:
                step = assess.first_step(programme, anchor, c.starts_on)
                first_due = assess.scheduled_due(programme, anchor, step)
                if first_due is None:
                    continue
            plan = FollowUpPlan(
                external_id=_uuid(rng),
                status=Status.IN_PROGRESS,
                status_changed_at=created,
                requester_institution_id=c.team.institution_id,
                performer_institution_id=c.village_id,
                patient_id=c.patient_id,
                team=c.team,
                contract=c,
                programme=programme,
                next_due_on=first_due,
                anchor_on=anchor,
                step=step,
                created_at=created,
                updated_at=created,
            )
            plans.append(plan)
            schedule.append((plan, c))
    FollowUpPlan.objects.bulk_create(plans, batch_size=BATCH)
    history = [
        FollowUpPlanTransition(
            item=p,
            to_status=Status.IN_PROGRESS,
            name="create",
            side=Side.SYSTEM,
            at=p.created_at,
            version=1,
            acting_institution_id=p.requester_institution_id,
        )
        for p in plans
    ]
    by_patient: dict[int, list[tuple[FollowUpPlan, Contract]]] = defaultdict(list)
    for plan, c in schedule:
        by_patient[plan.patient_id].append((plan, c))
    visits: list[Visit] = []
    assessments: list[tuple[Visit, FollowUpPlan, dict]] = []
    for patient_id, items in by_patient.items():
        chronic = [(p, c) for p, c in items if p.programme in CHRONIC]
        elderly = [(p, c) for p, c in items if p.programme == Population.ELDERLY]
        for plan, contract in items:
            if plan.programme in SCHEDULES:
                _scheduled_visits(plan, contract, rng, today, visits, assessments)
        base = _Patient(
            systolic=int(rng.choice((128, 134, 138, 146, 152))),
            diastolic=int(rng.choice((78, 82, 86, 92))),
            glucose=rng.choice((6.2, 6.8, 7.4, 8.2)),
            weight=rng.uniform(48, 82),
        )
        for group in (chronic, elderly):
            if not group:
                continue
            contract = group[0][1]
            due = group[0][0].next_due_on
            lapsed = rng.random() < SHARE_LAPSED
            streak = dict.fromkeys((p.pk for p, _c in group), 0)
            while True:
                on_time = rng.random() < SHARE_ON_TIME
                day = (
                    due - datetime.timedelta(days=rng.randrange(0, 6))
                    if on_time
                    else (due + datetime.timedelta(days=rng.randrange(3, 30)))
                )
                if day >= today or (lapsed and due + datetime.timedelta(days=80) >= today):
                    break
                mode = "phone" if rng.random() < SHARE_PHONE else rng.choice(("clinic", "home"))
                diabetic = any(p.programme == Population.DIABETES for p, _c in group)
                m = (
                    _measure(base, rng, diabetic)
                    if group is chronic
                    else _measure(base, rng, False)
                )
                at = _at(day, rng)
                visit = Visit(
                    external_id=_uuid(rng),
                    patient_id=patient_id,
                    contract=contract,
                    site_id=contract.village_id,
                    practitioner_id=contract.doctor_id,
                    recorded_by_id=None,
                    visited_at=at,
                    mode=mode,
                    systolic=m.systolic,
                    diastolic=m.diastolic,
                    heart_rate=m.heart_rate,
                    glucose=m.glucose,
                    weight_kg=m.weight_kg,
                    medication="氨氯地平 5mg qd" if group is chronic else "",
                    adherence="regular",
                    created_at=at,
                    updated_at=at,
                )
                visits.append(visit)
                next_due = None
                for plan, _c in group:
                    klass = assess.control(plan.programme, m)
                    nxt, _refer = assess.next_due(plan.programme, klass, day, streak[plan.pk])
                    streak[plan.pk] = (
                        streak[plan.pk] + 1 if klass and klass != Control.CONTROLLED else 0
                    )
                    assessments.append(
                        (
                            visit,
                            plan,
                            {
                                "visited_on": day,
                                "face_to_face": mode != "phone",
                                "due_on": due,
                                "on_time": day <= due,
                                "control": klass,
                                "next_due_on": nxt,
                            },
                        )
                    )
                    plan.last_visit_on, plan.last_control = day, klass
                    plan.uncontrolled_in_a_row = streak[plan.pk]
                    plan.next_due_on = nxt
                    next_due = nxt
                due = next_due
            for plan, _c in group:
                plan.next_due_on = due
    for plan in plans:
        if plan.programme in SCHEDULES and plan.next_due_on is None:
            plan.status = Status.COMPLETED
            plan.status_changed_at = _at(plan.last_visit_on, rng)
            plan.version = 2
            history.append(
                FollowUpPlanTransition(
                    item=plan,
                    from_status=Status.IN_PROGRESS,
                    to_status=Status.COMPLETED,
                    name="complete",
                    side=Side.SYSTEM,
                    at=plan.status_changed_at,
                    version=2,
                    acting_institution_id=plan.requester_institution_id,
                )
            )
    # Visits need a recorder: the team's lead doctor's account if any, else the first user.
    from lianxin.core.models import User

    recorder = User.objects.order_by("pk").values_list("pk", flat=True).first()
    users = dict(Practitioner.objects.filter(user__isnull=False).values_list("pk", "user_id"))
    for v in visits:
        v.recorded_by_id = users.get(v.practitioner_id, recorder)
    Visit.objects.bulk_create(visits, batch_size=BATCH)
    Assessment.objects.bulk_create(
        (Assessment(visit=v, plan=p, **data) for v, p, data in assessments), batch_size=BATCH
    )
    for plan in plans:
        if plan.next_due_on is None:
            plan.due_at = None
            continue
        plan.due_at = end_of_day(plan.next_due_on)
        overdue_by = now - plan.due_at
        if overdue_by.total_seconds() > 0:
            written.overdue += 1
            level = min(MAX_ESCALATION_LEVEL, 1 + int(overdue_by / ESCALATE_EVERY))
            at = plan.due_at
            for n in range(1, level + 1):
                history.append(
                    FollowUpPlanTransition(
                        item=plan,
                        from_status=Status.IN_PROGRESS,
                        to_status=Status.IN_PROGRESS,
                        name="escalate",
                        side=Side.SYSTEM,
                        at=at,
                        version=1,
                        escalation_level=n,
                    )
                )
                at = at + ESCALATE_EVERY
            plan.escalation_level = level
            plan.due_at = at
    FollowUpPlan.objects.bulk_update(
        plans,
        [
            "status",
            "status_changed_at",
            "version",
            "next_due_on",
            "step",
            "due_at",
            "last_visit_on",
            "last_control",
            "uncontrolled_in_a_row",
            "escalation_level",
        ],
        batch_size=UPDATE_BATCH,
    )
    FollowUpPlanTransition.objects.bulk_create(history, batch_size=BATCH)
    written.plans, written.visits = len(plans), len(visits)


def _growth(age_days: int, rng: random.Random) -> tuple[Decimal, Decimal]:
    """A plausible weight (kg) and length or height (cm) of a child of ``age_days``."""
    months = age_days / 30.44
    if months <= 12:
        weight, height = 3.3 + 0.55 * months, 50 + 2.1 * months
    else:
        weight, height = 9.6 + 0.18 * (months - 12), 75 + 0.75 * (months - 12)
    weight *= rng.uniform(0.9, 1.1)
    height *= rng.uniform(0.96, 1.04)
    return Decimal(str(round(weight, 1))), Decimal(str(round(height, 1)))


def _scheduled_visits(plan, contract, rng, today, visits, assessments) -> None:
    """The visits of a child's or a pregnancy's schedule up to today, inside the contract's
    period: mostly in their windows, some late, and some missed (overdue today)."""
    schedule = SCHEDULES[plan.programme]
    anchor, step = plan.anchor_on, plan.step
    while step < len(schedule):
        window = schedule[step]
        due = anchor + datetime.timedelta(days=window.due)
        opens = anchor + datetime.timedelta(days=window.starts)
        if rng.random() < SHARE_ON_TIME:
            day = opens + datetime.timedelta(days=rng.randrange(0, window.due - window.starts + 1))
        else:
            day = due + datetime.timedelta(days=rng.randrange(3, 30))
        if day >= today or day > contract.ends_on or rng.random() < SHARE_LAPSED / 4:
            break
        day = max(day, contract.starts_on)
        at = _at(day, rng)
        if plan.programme == Population.CHILD:
            weight, height = _growth((day - anchor).days, rng)
            m = assess.Measurements(weight_kg=weight, height_cm=height)
        else:
            weeks = (day - anchor).days / 7
            m = assess.Measurements(
                systolic=int(rng.gauss(112, 8)),
                diastolic=int(rng.gauss(72, 6)),
                weight_kg=Decimal(str(round(rng.uniform(50, 62) + 0.3 * min(weeks, 40), 1))),
            )
        visit = Visit(
            external_id=_uuid(rng),
            patient_id=plan.patient_id,
            contract=contract,
            site_id=contract.village_id,
            practitioner_id=contract.doctor_id,
            recorded_by_id=None,
            visited_at=at,
            mode=rng.choice(("clinic", "home")),
            systolic=m.systolic,
            diastolic=m.diastolic,
            weight_kg=m.weight_kg,
            height_cm=m.height_cm,
            created_at=at,
            updated_at=at,
        )
        visits.append(visit)
        nxt = assess.step_after(plan.programme, anchor, step, day)
        next_due = assess.scheduled_due(plan.programme, anchor, nxt)
        assessments.append(
            (
                visit,
                plan,
                {
                    "visited_on": day,
                    "face_to_face": True,
                    "due_on": due,
                    "on_time": day <= due,
                    "control": "",
                    "next_due_on": next_due,
                },
            )
        )
        plan.last_visit_on, plan.step, plan.next_due_on = day, nxt, next_due
        if nxt == step:  # a visit before its window: the schedule does not move on
            break
        step = nxt


def villages_and_townships(ids: Iterable[int] | None = None):
    townships = list(Institution.objects.filter(tier="township").order_by("pk"))
    villages = list(Institution.objects.filter(tier="village").order_by("pk"))
    return townships, villages
