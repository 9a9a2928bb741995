"""Demo step: a year of outreach in the demo county.

The volumes follow what an alliance reports for a year (about 300 expert person-times, 30 new
techniques, 200 trainees, weekly remote teaching), spread over the demo county's lead hospitals
and its eleven townships. Like the core steps this is fixture generation: rows are written with
``bulk_create``, not through the actions, but every row keeps the actions' rules (one place a day
per practitioner, 驻点 at least six months, activity inside its posting, nothing in the future).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from lianxin.demo.context import DemoCounty
from lianxin.demo.registry import register_step
from lianxin.network.models import Capability, Institution
from lianxin.outreach.actions.postings import stationing_min_end
from lianxin.outreach.models import (
    CoBuiltSpecialty,
    Course,
    EducationSession,
    Posting,
    PostingActivity,
    SessionAttendance,
    TechniqueCase,
    TechniqueTransfer,
    TrainingPlacement,
)
from lianxin.outreach.rules import (
    ActivityKind,
    AssessmentResult,
    ManagementArea,
    PostingKind,
    SpecialtyStatus,
)
from lianxin.workforce.models import ATTENDING_OR_ABOVE, Practitioner, Profession

STATIONINGS_PER_TOWNSHIP = 2
MANAGERS = 11
SHORT_TERM = 90
ITINERANT = 176  # with the above and the surgeon the emergency step stations: 300 person-times
UPCOMING_ITINERANT = 12
TECHNIQUES = 30
TRAINEES = 200
COBUILT = 6

# (technique, procedure code in the capability catalogue or "")
TECHNIQUE_NAMES: tuple[tuple[str, str], ...] = (
    ("急性缺血性卒中静脉溶栓", "thrombolysis_stroke"),
    ("STEMI静脉溶栓", "thrombolysis_stemi"),
    ("内镜下止血术", "endoscopic_haemostasis"),
    ("内镜下息肉切除术", "endoscopic_polypectomy"),
    ("阑尾切除术", "appendectomy"),
    ("无痛胃镜检查", ""),
    ("超声引导下神经阻滞", ""),
    ("经皮穿刺置管引流", ""),
    ("清创缝合与创面修复", ""),
    ("慢阻肺肺功能检查", ""),
    ("动态心电图监测", ""),
    ("糖尿病足规范换药", ""),
    ("针刀松解术", ""),
    ("中医定向透药", ""),
    ("小儿推拿", ""),
    ("新生儿窒息复苏", ""),
    ("宫颈癌筛查（TCT）", ""),
    ("骨折手法复位石膏固定", ""),
    ("腰椎间盘突出症微创治疗", ""),
    ("高血压患者动态血压监测", ""),
    ("眼底照相筛查", ""),
    ("胸腔闭式引流术", ""),
    ("床旁超声快速评估", ""),
    ("睡眠呼吸监测", ""),
    ("血液灌流", ""),
    ("肛肠疾病微创治疗", ""),
    ("关节腔注射", ""),
    ("老年综合评估", ""),
    ("康复训练（脑卒中后）", ""),
    ("疼痛门诊神经阻滞", ""),
)
SPECIALTIES = (
    ("全科医学科", "以慢病管理为重点，两年内高血压、糖尿病规范管理率达到70%"),
    ("中医康复科", "开展针灸、推拿、康复训练不少于10项适宜技术"),
    ("急诊科", "建成胸痛、卒中救治单元，溶栓门针时间不超过60分钟"),
    ("妇产科", "独立开展正常分娩与产后出血处置，转诊及时率100%"),
    ("儿科", "常见病规范诊治，儿童呼吸道疾病下转承接"),
    ("消化内科", "开展无痛胃肠镜，早癌筛查覆盖重点人群"),
)
RESULTS = (
    (AssessmentResult.PASSED,) * 6 + (AssessmentResult.EXCELLENT,) * 3 + (AssessmentResult.FAILED,)
)
COURSES = (
    ("tertiary", "基层常见病诊疗规范", "全科"),
    ("tertiary", "急危重症识别与转诊", "急诊"),
    ("county_hospital", "医共体每周业务讲座", "综合"),
    ("county_hospital", "护理质量与院感防控", "护理"),
)


def _free(schedule: list[tuple[datetime.date, datetime.date]], start, end) -> bool:
    return all(end < s or start > e for s, e in schedule)


class _Planner:
    """Keeps each practitioner in one place a day while postings are handed out."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.schedule: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
        self.rows: list[Posting] = []

    def post(
        self,
        pool: list[Practitioner],
        host: Institution,
        kind: str,
        start: datetime.date,
        end: datetime.date,
        **extra,
    ) -> Posting | None:
        for practitioner in self.rng.sample(pool, min(len(pool), 12)):
            if practitioner.institution_id == host.pk:
                continue
            if _free(self.schedule[practitioner.pk], start, end):
                self.schedule[practitioner.pk].append((start, end))
                posting = Posting(
                    practitioner=practitioner,
                    home_institution_id=practitioner.institution_id,
                    host_institution=host,
                    kind=kind,
                    starts_on=start,
                    ends_on=end,
                    **extra,
                )
                self.rows.append(posting)
                return posting
        return None


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def build_outreach(county: DemoCounty) -> None:
    rng = random.Random(county.options.seed * 31 + 5)
    today = county.options.today
    first = today - datetime.timedelta(days=364)
    leads = [i for i in (county.tertiary, county.county_hospital) if i is not None]
    senders = [*leads, *(i for i in (county.county_tcm, county.county_mch) if i is not None)]
    sender_ids = {i.pk for i in senders}
    townships = list(county.townships)
    by_institution: dict[int, list[Practitioner]] = defaultdict(list)
    for practitioner in county.practitioners:
        by_institution[practitioner.institution_id].append(practitioner)
    seniors = [
        p
        for p in county.practitioners
        if p.institution_id in sender_ids
        and p.profession == Profession.PHYSICIAN
        and p.title in ATTENDING_OR_ABOVE
    ]
    if not seniors or not townships:
        return
    credentialed = set(
        Practitioner.objects.filter(pk__in=[p.pk for p in seniors], credentials__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    bringers = [p for p in seniors if p.pk in credentialed] or seniors
    managers = [
        p
        for p in county.practitioners
        if p.institution_id == getattr(county.county_hospital, "pk", None)
        and p.profession in {Profession.NURSE, Profession.TECHNICIAN}
    ] or seniors
    planner = _Planner(rng)

    # 驻点: two per township, six to twelve months; about half still there today.
    for township in townships:
        for n in range(STATIONINGS_PER_TOWNSHIP):
            start = _day(rng, first, today - datetime.timedelta(days=150 if n else 30))
            end = stationing_min_end(start) + datetime.timedelta(days=rng.randint(0, 180))
            planner.post(
                bringers if n == 0 else seniors,
                township,
                PostingKind.STATIONING,
                start,
                end,
                role_at_host=rng.choice(["业务副院长", "科室主任", "", ""]),
                purpose="常驻带教，提升专科服务能力",
            )
    areas = list(ManagementArea.values)
    for n in range(MANAGERS):
        start = _day(rng, first, today)
        planner.post(
            managers,
            townships[n % len(townships)],
            PostingKind.MANAGEMENT,
            start,
            start + datetime.timedelta(days=rng.randint(60, 150)),
            management_area=areas[n % len(areas)],
            purpose="管理下沉：制度建设与质控",
        )
    for _ in range(SHORT_TERM):
        start = _day(rng, first, today)
        planner.post(
            seniors,
            rng.choice(townships),
            PostingKind.SHORT_TERM,
            start,
            start + datetime.timedelta(days=rng.randint(6, 27)),
            purpose="短期帮扶",
        )
    hosts = townships + list(county.villages[: len(townships)])
    for n in range(ITINERANT + UPCOMING_ITINERANT):
        day = (
            _day(rng, first, today)
            if n < ITINERANT
            else today + datetime.timedelta(days=rng.randint(1, 14))
        )
        planner.post(
            seniors, rng.choice(hosts), PostingKind.ITINERANT, day, day, purpose="巡回诊疗"
        )
    postings = Posting.objects.bulk_create(planner.rows)

    activities: list[PostingActivity] = []
    for posting in postings:
        last = min(posting.ends_on, today)
        if posting.starts_on > last:
            continue
        if posting.kind == PostingKind.ITINERANT:
            plan = [(posting.starts_on, ActivityKind.CLINIC)]
        else:
            span = (last - posting.starts_on).days
            count = max(1, span // 14)
            plan = [
                (
                    posting.starts_on + datetime.timedelta(days=rng.randint(0, span)),
                    rng.choice(list(ActivityKind.values)),
                )
                for _ in range(count)
            ]
        for on, kind in plan:
            activities.append(
                PostingActivity(
                    posting=posting,
                    on=on,
                    kind=kind,
                    sessions=rng.randint(1, 2),
                    patients=rng.randint(8, 40) if kind in {"clinic", "consultation"} else 0,
                )
            )
    PostingActivity.objects.bulk_create(activities, batch_size=2000)

    # Techniques: mentors are the experts stationed or sent for a while.
    procedures = {c.code: c for c in Capability.objects.filter(kind="procedure")}
    long_stays = [p for p in postings if p.kind in {PostingKind.STATIONING, PostingKind.SHORT_TERM}]
    techniques: list[TechniqueTransfer] = []
    for index, (name, code) in enumerate(TECHNIQUE_NAMES[:TECHNIQUES]):
        stay = long_stays[index % len(long_stays)] if long_stays else None
        if stay is None:
            break
        introduced = max(stay.starts_on, first)
        if introduced > today:
            introduced = today
        techniques.append(
            TechniqueTransfer(
                host_institution_id=stay.host_institution_id,
                lead_institution_id=stay.home_institution_id,
                name=name,
                capability=procedures.get(code),
                mentor_id=stay.practitioner_id,
                introduced_on=introduced,
            )
        )
    cases: list[TechniqueCase] = []
    for technique in techniques:
        room = (today - technique.introduced_on).days
        if room < 3 or rng.random() < 0.15:
            continue
        day = technique.introduced_on + datetime.timedelta(days=rng.randint(1, min(room, 40)))
        technique.first_case_on = day
        cases.append(TechniqueCase(technique=technique, performed_on=day, with_mentor=True))
        host_staff = [
            p
            for p in by_institution.get(technique.host_institution_id, [])
            if p.profession == Profession.PHYSICIAN
        ]
        later = (today - day).days
        if host_staff and later > 30 and rng.random() < 0.6:
            solo = day + datetime.timedelta(days=rng.randint(20, later))
            technique.independent_on = solo
            cases.append(
                TechniqueCase(
                    technique=technique,
                    performed_on=solo,
                    with_mentor=False,
                    operator=rng.choice(host_staff),
                )
            )
    TechniqueTransfer.objects.bulk_create(techniques)
    for case in cases:
        case.technique_id = case.technique.pk
    TechniqueCase.objects.bulk_create(cases)

    lead = county.county_hospital or leads[0]
    CoBuiltSpecialty.objects.bulk_create(
        CoBuiltSpecialty(
            lead_institution=lead,
            host_institution=townships[index % len(townships)],
            name=name,
            goals=goals,
            status=rng.choice(
                [
                    SpecialtyStatus.BUILDING,
                    SpecialtyStatus.BUILDING,
                    SpecialtyStatus.ACHIEVED,
                    SpecialtyStatus.PLANNED,
                ]
            ),
            starts_on=first + datetime.timedelta(days=30 * index),
        )
        for index, (name, goals) in enumerate(SPECIALTIES[:COBUILT])
    )

    # 进修: member staff at the county hospital or the tertiary hospital.
    member_staff = [
        p for inst in [*townships, *county.villages] for p in by_institution.get(inst.pk, [])
    ]
    rng.shuffle(member_staff)
    placements: list[TrainingPlacement] = []
    booked: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    # A small demo county has fewer member staff than trainee places: some train twice.
    for index in range(TRAINEES if member_staff else 0):
        trainee = member_staff[index % len(member_staff)]
        host = rng.choice(leads)
        departments = [d for (inst_id, _), d in county.departments.items() if inst_id == host.pk]
        department = rng.choice(departments) if departments else None
        staff = [p for p in by_institution.get(host.pk, []) if p.title in ATTENDING_OR_ABOVE]
        supervisors = [
            p for p in staff if department is None or p.department_id == department.pk
        ] or staff
        for _attempt in range(20):
            start = _day(rng, first, today)
            end = start + datetime.timedelta(days=rng.choice([30, 60, 90, 180]))
            if _free(booked[trainee.pk], start, end):
                break
        else:
            continue
        booked[trainee.pk].append((start, end))
        assessed = end <= today
        placements.append(
            TrainingPlacement(
                trainee=trainee,
                home_institution_id=trainee.institution_id,
                host_institution=host,
                department=department,
                supervisor=rng.choice(supervisors) if supervisors else None,
                starts_on=start,
                ends_on=end,
                result=rng.choice(RESULTS) if assessed else AssessmentResult.PENDING,
                assessed_on=end if assessed else None,
            )
        )
    TrainingPlacement.objects.bulk_create(placements)

    # 远程教育: a weekly county lecture, and monthly sessions from the tertiary hospital.
    providers = {"tertiary": county.tertiary, "county_hospital": county.county_hospital}
    courses = Course.objects.bulk_create(
        Course(provider=providers[key], title=title, topic=topic, starts_on=first)
        for key, title, topic in COURSES
        if providers.get(key) is not None
    )
    lecturers: dict[int, list[Practitioner]] = {
        course.provider_id: [p for p in seniors if p.institution_id == course.provider_id]
        for course in courses
    }
    sessions: list[EducationSession] = []
    for course in courses:
        step = 7 if course.provider_id == getattr(county.county_hospital, "pk", None) else 30
        day = first + datetime.timedelta(days=rng.randint(0, step - 1))
        number = 1
        while day <= today:
            staff = lecturers.get(course.provider_id) or seniors
            sessions.append(
                EducationSession(
                    course=course,
                    held_on=day,
                    topic=f"{course.title}（第{number}讲）",
                    lecturer=rng.choice(staff),
                    is_live=rng.random() < 0.8,
                )
            )
            number += 1
            day += datetime.timedelta(days=step)
    EducationSession.objects.bulk_create(sessions)
    attendance: list[SessionAttendance] = []
    for session in sessions:
        for township in townships:
            attendees = rng.randint(3, 15)
            assessed = rng.randint(0, attendees)
            attendance.append(
                SessionAttendance(
                    session=session,
                    institution=township,
                    attendees=attendees,
                    assessed=assessed,
                    passed=rng.randint(0, assessed),
                )
            )
    SessionAttendance.objects.bulk_create(attendance, batch_size=2000)


register_step("outreach", build_outreach, order=130)
