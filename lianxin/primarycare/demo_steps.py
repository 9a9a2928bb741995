"""Demo step "primarycare": family-doctor teams for every township, contracts for about 30 % of
the residents (75 % of the key populations), a year of follow-ups with some overdue, and the
seed's 80-year-old: a hernia repair at the demo township's centre, sent home to the village
clinic with a post-operative care plan that the family-doctor team follows (through the
referral and primarycare actions, so it is exactly what a user would have made).

The demo logins: ``township`` leads the demo township's first team, ``village`` is its village
doctor; both find this week's list waiting, the post-operative patient among the newly
discharged.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from django.utils import timezone

from lianxin.demo.registry import register_step
from lianxin.primarycare import demo
from lianxin.primarycare.actions import do_load_default_packages, take_care_plan
from lianxin.workforce.models import Practitioner

STEP_ORDER = 140
SEED_OFFSET = 140
HERNIA_AGE = 80


def _post_operative(county: Any, rng: random.Random) -> None:
    from lianxin.patients.models import Patient
    from lianxin.referrals.actions import do_accept_referral, do_create_referral
    from lianxin.referrals.actions.referrals import PlanItem

    township_user, _r, township = county.accounts["township"]
    village_user, _r, village = county.accounts["village"]
    today = timezone.localdate()
    born_by = today.replace(year=today.year - HERNIA_AGE)
    patient = (
        Patient.objects.filter(
            division_code=village.division_code, birth_date__lte=born_by, sex="1"
        )
        .order_by("-birth_date")
        .first()
    )
    if patient is None:
        return
    from lianxin.primarycare.actions import do_sign_contract
    from lianxin.primarycare.models import Contract, ServicePackage, TeamMember, TeamVillage

    if not Contract.objects.filter(patient=patient, status="active").exists():
        team = TeamVillage.objects.get(village=village).team
        member = TeamMember.objects.filter(team=team, practitioner__user=village_user).first()
        do_sign_contract(
            actor=village_user,
            patient=patient,
            team=team,
            doctor_member=member or TeamMember.objects.get(team=team, role="lead"),
            packages=list(ServicePackage.objects.filter(code__in=["BASIC", "ELDERLY"])),
            consent_method="guardian",
            consent_by="家属",
        )
    surgery = county.departments.get((township.pk, "WK"))
    referral = do_create_referral(
        actor=township_user,
        patient=patient,
        direction="down",
        performer_institution=village,
        requester_department=surgery,
        reason="腹股沟疝无张力修补术后第2天，病情稳定出院，术后由家庭医生全程管理",
        diagnosis_code="K40.9",
        diagnosis_text="右侧腹股沟疝（修补术后）",
        history_summary="在乡镇卫生院外科行右侧腹股沟疝无张力修补术，术程顺利，术后恢复好。",
        care_plan="切口保持清洁干燥；3个月内避免重体力劳动及用力排便；如切口红肿渗液、发热及时就诊。",
        follow_ups=[
            PlanItem("visit", "术后第3天：上门查看切口、换药", today + datetime.timedelta(days=1)),
            PlanItem("visit", "术后第7天：切口检查、拆线", today + datetime.timedelta(days=5)),
            PlanItem(
                "rehab",
                "术后2周：活动与排便情况，逐步恢复日常活动",
                today + datetime.timedelta(days=12),
            ),
            PlanItem("visit", "术后1个月：卫生院外科门诊复查", today + datetime.timedelta(days=28)),
        ],
    )
    do_accept_referral(actor=village_user, referral=referral)
    take_care_plan(referral, actor=village_user)


def build_primarycare(county: Any) -> demo.Written:
    rng = random.Random(county.options.seed + SEED_OFFSET)
    started = time.perf_counter()
    do_load_default_packages(actor=None)
    leads, village_doctors = {}, {}
    for username, target in (("township", leads), ("village", village_doctors)):
        if username in county.accounts:
            user, _role, institution = county.accounts[username]
            practitioner = Practitioner.objects.filter(user=user).first()
            if practitioner is not None:
                target[institution.pk] = practitioner
    team_of_village = demo.build_teams(
        county.townships, county.villages, leads=leads, village_doctors=village_doctors
    )
    from lianxin.referrals.demo import anchor_time

    written = demo.build_year(team_of_village, rng, anchor_time(county.options.today))
    if "township" in county.accounts and "village" in county.accounts:
        _post_operative(county, rng)
    written.timings["total"] = time.perf_counter() - started
    return written


register_step("primarycare", build_primarycare, order=STEP_ORDER)
