"""Thresholds of the automated ECG flags, as data with their sources. A flag raises the
study's worklist priority and proposes a critical result; only the reader confirms it.

The display standard: paper speed 25 mm/s and gain 10 mm/mV (IEC 60601-2-25:2011, 201.12.4.102;
AHA recommendations for the standardization of the ECG, Kligfield et al., Circulation 2007).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_CRITICAL_ECG = "中国心电学会《心电图危急值2017中国专家共识》"
SOURCE_UDMI = (
    "Fourth Universal Definition of Myocardial Infarction (Thygesen et al., Circulation 2018): "
    "new ST elevation at the J point in two contiguous leads ≥ 0.1 mV; 中华医学会心血管病学分会"
    "《急性ST段抬高型心肌梗死诊断和治疗指南(2019)》"
)
SOURCE_QTC = (
    "AHA/ACCF Scientific Statement: Prevention of Torsade de Pointes in Hospital Settings "
    "(Drew et al., Circulation 2010): QTc > 500 ms is a high-risk threshold"
)
SOURCE_AF = (
    "RR irregularity as an AF screen: coefficient of variation of RR intervals (Tateno & Glass, "
    "Med Biol Eng Comput 2001; 2020 ESC AF guideline: irregularly irregular RR, no P waves)"
)
SOURCE_DISPLAY = "IEC 60601-2-25:2011 201.12.4.102; Kligfield et al., Circulation 2007"

PAPER_SPEED_MM_S = 25.0
GAIN_MM_MV = 10.0


@dataclass(frozen=True)
class Flag:
    code: str
    finding: str  # the words of the proposed critical result (rules.CRITICAL_FINDINGS style)
    source: str


BRADY_BPM = 40.0
TACHY_BPM = 150.0
AF_RR_CV = 0.15  # RR coefficient of variation above which the rhythm is irregular
ST_ELEVATION_MV = 0.1
QTC_MS = 500.0

FLAGS = {
    "brady": Flag("brady", "严重心动过缓(心室率<40次/分)", SOURCE_CRITICAL_ECG),
    "tachy": Flag("tachy", "心动过速(心室率>150次/分)", SOURCE_CRITICAL_ECG),
    "af": Flag("af", "疑似心房颤动(RR间期绝对不齐)", SOURCE_AF),
    "st": Flag("st", "疑似急性ST段抬高(相邻两导联≥0.1mV)", SOURCE_UDMI),
    "qtc": Flag("qtc", "QTc延长(>500ms)", SOURCE_QTC),
}

# Anatomically contiguous leads (Cabrera order for the limb leads; V1–V6 in order).
CONTIGUOUS = (
    ("aVL", "I", "-aVR", "II", "aVF", "III"),
    ("V1", "V2", "V3", "V4", "V5", "V6"),
)
LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
# The 3 × 4 layout: columns of 2.5 s each, lead II below as the 10-second rhythm strip.
LAYOUT = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
RHYTHM_LEAD = "II"

# 心电设备村级覆盖率: village clinics with a networked ECG device that sent a record in the last
# 30 days, over all village clinics (2024 monitoring indicator of the county medical community;
# "networked" is read as: a record of the clinic reached the ECG centre through Lianxin).
SOURCE_VILLAGE_COVERAGE = "2024年紧密型县域医共体监测指标: 心电设备村级覆盖率"
VILLAGE_COVERAGE_DAYS = 30
