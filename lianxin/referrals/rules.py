"""Referral and consultation rules as data, each with its source.

The national texts require that referred patients are received with priority
(《医疗联合体管理办法（试行）》国卫医发〔2020〕13号: 优先接诊、优先检查、优先住院;
国办发〔2015〕70号 on 分级诊疗) but set no answer times. The due times below are therefore
our policy, chosen so that an emergency is answered while the ambulance is on its way;
administrators change them here.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    UP = "up", _("Upward (to a higher level)")
    DOWN = "down", _("Downward (back to primary care)")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency (green channel)")


# How long the receiving side may take to answer, by urgency (our policy within the texts above:
# an emergency is answered while the ambulance is on its way).
ANSWER_WITHIN = {
    Urgency.ROUTINE: timedelta(hours=24),
    Urgency.URGENT: timedelta(hours=4),
    Urgency.EMERGENCY: timedelta(minutes=15),
}
# From acceptance to the patient's arrival (without a booked slot), and from arrival to the
# outcome going back (our policy: the outcome of a routine referral within 30 days).
ARRIVE_WITHIN = timedelta(days=7)
OUTCOME_WITHIN = timedelta(days=30)
# An overdue item escalates to the department head, then to the duty officer, then stops.
ESCALATION_ROLES = ("department_head", "duty_officer")

# ICD-10 codes as used on Chinese records (GB/T 14396-2016 and the national clinical edition
# 国家临床版 2.0): a letter, two digits, and an optional extension after the point of up to eight
# characters, in which the edition writes a lower-case x (I21.0, S12.900, K35.800x001).
ICD10_RE = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Za-z]{1,8})?$")


def normalise_icd10(code: str) -> str:
    """Trim and upper-case the chapter letter; the extension keeps its own case."""
    code = "".join((code or "").split())
    return code[:1].upper() + code[1:]


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("Follow-up visit")
    TEST = "test", _("Test or exam")
    MEDICATION = "medication", _("Medication review")
    REHAB = "rehab", _("Rehabilitation")
    OTHER = "other", _("Other")


class Milestone(models.TextChoices):
    """Green-channel timestamps (after the chest-pain and stroke centre data standards:
    中国胸痛中心认证标准 and 中国卒中中心 质控指标, which time decision, departure, arrival and the
    start of treatment)."""

    DECISION = "decision", _("Decision to refer")
    DEPARTURE = "departure", _("Left the referring site")
    ARRIVAL = "arrival", _("Arrived at the receiving site")
    TREATMENT_START = "treatment_start", _("Treatment started")


MILESTONE_ORDER = [
    Milestone.DECISION,
    Milestone.DEPARTURE,
    Milestone.ARRIVAL,
    Milestone.TREATMENT_START,
]


class ConsultationKind(models.TextChoices):
    REMOTE = "remote", _("Remote consultation")
    MDT = "mdt", _("Multidisciplinary (MDT)")


# Records shared for a consultation stay open to the invited side this long after it closes, so
# that a late question about the opinion can still be answered (our policy).
CONSULTATION_ACCESS_AFTER = timedelta(days=7)
# A referral's receiving side keeps access to the patient this long after the loop closes.
REFERRAL_ACCESS_AFTER = timedelta(days=30)

RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]

# Levels of care for checking a referral's direction: up never goes to a lower level, down
# never to a higher one (分级诊疗: 基层 → 县级 → 三级).
TIER_LEVEL = {
    "village": 1,
    "township": 2,
    "community_centre": 2,
    "county_hospital": 3,
    "county_tcm": 3,
    "county_mch": 3,
    "tertiary": 4,
}

# Attachments: what a referring doctor sends (scans, photos of paper results, PDFs, DICOM is
# linked through the exams instead), and how big.
ATTACHMENT_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
