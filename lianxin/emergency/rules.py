"""Emergency rules as data, each entry with its source: road speeds, the estimate used without a
road network, and the condition catalogue (what each condition needs and its time rules).

Speeds are what an ambulance keeps up on a road of the class, not the legal limit: the design
speed of the grade the OpenStreetMap class stands for in China, taken at the mountainous end of
its range. A county overrides any of them on its road network (``RoadNetwork.speed_overrides``),
e.g. when its own dispatch records show faster or slower roads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

# --- Sources ---------------------------------------------------------------------------------

JTG_B01_2014 = "交通运输部《公路工程技术标准》（JTG B01—2014）3.5 设计速度"
OSM_CHINA_ROADS = "OpenStreetMap Wiki: China/Road types (highway=* 与公路等级的对应)"
CJJ_37_2012 = "住房和城乡建设部《城市道路工程设计规范》（CJJ 37—2012）3.2 设计速度"
CIRCUITY = (
    "Boscoe, Henry, Zdeb. A nationwide comparison of driving distance versus straight-line "
    "distance to hospitals. Prof Geogr 2012;64(2):188-196（道路迂回系数约1.4）"
)
STEMI_CN_2019 = "中华医学会心血管病学分会《急性ST段抬高型心肌梗死诊断和治疗指南（2019）》"
CHEST_PAIN_STANDARD = "中国胸痛中心认证标准（第六版，2021）：进门-导丝通过≤90分钟，进门-溶栓≤30分钟"
ESC_ACS_2023 = "2023 ESC Guidelines for the management of acute coronary syndromes"
STROKE_CN_2023 = "中华医学会神经病学分会《中国急性缺血性卒中诊治指南2023》"
STROKE_EVT_CN_2022 = "中国卒中学会《中国急性缺血性卒中早期血管内介入诊疗指南2022》"
AHA_STROKE_2019 = "AHA/ASA 2019 Guidelines for the Early Management of Acute Ischemic Stroke"
TRAUMA_CENTRE_2018 = (
    "国家卫生健康委《创伤中心建设与管理指导原则（试行）》（国卫办医发〔2018〕21号）"
)
ATLS_10 = "American College of Surgeons. ATLS Advanced Trauma Life Support, 10th ed. (2018)"
PPH_CN_2023 = "中华医学会妇产科学分会产科学组《产后出血预防与处理指南（2023）》"
MATERNAL_CENTRE_2017 = (
    "国家卫生计生委《危重孕产妇救治中心建设与管理指南》（国卫办妇幼发〔2017〕40号）"
)
PAEDIATRIC_CENTRE_2017 = (
    "国家卫生计生委《危重新生儿救治中心建设与管理指南》（国卫办妇幼发〔2017〕9号）"
)
PALS_2020 = "AHA 2020 Pediatric Advanced Life Support guidelines"
TOWNSHIP_STANDARD_2022 = (
    "国家卫生健康委《乡镇卫生院服务能力标准（2022版）》：设急诊室，能开展心肺复苏等急救"
)

# --- Roads -----------------------------------------------------------------------------------

# OpenStreetMap highway class → km/h, with the road grade it stands for in China.
ROAD_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100,  # 高速公路 (JTG: 80–120)
    "motorway_link": 50,
    "trunk": 70,  # 国道, 一级/二级公路 (JTG: 60–100)
    "trunk_link": 40,
    "primary": 60,  # 省道, 二级公路 (JTG: 60–80)
    "primary_link": 35,
    "secondary": 45,  # 县道, 二级/三级公路 (JTG: 30–60)
    "secondary_link": 30,
    "tertiary": 35,  # 乡道, 三级公路 (JTG: 30–40)
    "tertiary_link": 25,
    "unclassified": 25,  # 村道, 四级公路 (JTG: 20–30)
    "residential": 20,  # 城镇支路 (CJJ 37: 20–40)
    "living_street": 10,
    "service": 15,
    "road": 20,
    "track": 10,  # 机耕路: passable, slowly
}
# The Chinese road grade each class stands for (shown as data, like the capability names).
ROAD_CLASS_NAMES: dict[str, str] = {
    "motorway": "高速公路",
    "motorway_link": "高速公路匝道",
    "trunk": "国道",
    "trunk_link": "国道连接线",
    "primary": "省道",
    "primary_link": "省道连接线",
    "secondary": "县道",
    "secondary_link": "县道连接线",
    "tertiary": "乡道",
    "tertiary_link": "乡道连接线",
    "unclassified": "村道",
    "residential": "城镇支路",
    "living_street": "生活街道",
    "service": "专用道路",
    "road": "未分级道路",
    "track": "机耕路",
}
ROAD_SPEEDS_SOURCE = f"{JTG_B01_2014}; {CJJ_37_2012}; {OSM_CHINA_ROADS}"
# What a county may set for a class (km/h): from a walking-pace track to above the motorway
# design speed's top (JTG: 120), a guard against typing errors (our policy).
SPEED_OVERRIDE_KMH = (5, 130)
DRIVABLE = frozenset(ROAD_SPEEDS_KMH)
# Ways an ambulance cannot use even when their class is drivable.
NOT_DRIVABLE_ACCESS = frozenset({"no", "private"})
NOT_DRIVABLE_SERVICE = frozenset({"parking_aisle", "driveway", "drive-through"})
# OSM tagging of one-way streets (OpenStreetMap Wiki: Key:oneway); motorways and roundabouts are
# one-way without the tag.
ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
IMPLIED_ONEWAY_HIGHWAY = frozenset({"motorway"})
IMPLIED_ONEWAY_JUNCTION = frozenset({"roundabout", "circular"})

# A place further than this from any road of the network is not on it: a clear error, not a
# guess (our policy: two kilometres is already half an hour on foot).
MAX_SNAP_METRES = 2000.0
# The stretch from the place to the nearest road node is carried at this speed (a stretcher
# or a farm vehicle on a path; our policy).
SNAP_LEG_KMH = 10.0

# Without a road network: straight-line distance × detour factor at this speed, labelled as an
# estimate in every answer.
DETOUR_FACTOR = 1.4
DETOUR_FACTOR_SOURCE = CIRCUITY
ESTIMATE_SPEED_KMH = 40.0  # an average between 县道 and 乡道 above (our policy)

# --- Conditions ------------------------------------------------------------------------------

# The default destination a case is measured against: the county hospital (分级诊疗 sends an
# emergency there when nobody advises otherwise).
DEFAULT_DESTINATION_TIER = "county_hospital"


@dataclass(frozen=True)
class Treatment:
    """What a site must be able to do, and how long from the door to the treatment starting.

    ``capability`` is a code of the network capability catalogue, or "" for what every care
    site from a township centre up can do (its emergency room, TOWNSHIP_STANDARD_2022).
    ``facilities`` overrides the facilities the catalogue says the procedure requires, for a
    first treatment that needs less than the full one (damage-control surgery needs a surgeon
    and an operating room now; the CT and the blood bank can come after the transfer).
    ``door_minutes`` is the guideline target from arrival to the start of treatment.
    """

    capability: str
    name: Any  # a lazy translation
    door_minutes: int
    source: str
    facilities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Condition:
    """An entry of the condition catalogue.

    ``definitive`` is the time-critical treatment; ``limit_minutes`` the guideline's limit from
    first medical contact (the call) to it. When no site can give it within the limit,
    ``fallback`` is given at the nearest capable site and the patient transferred on to a
    definitive site (STEMI: fibrinolysis, then PCI; stroke: thrombolysis, then thrombectomy).
    ``stabilise`` is a first treatment a nearer site can give while the definitive site is far
    (damage control, uterotonics and balloon tamponade, paediatric resuscitation), followed by
    the transfer; it is offered when the definitive site is more than ``stabilise_after``
    minutes away.
    """

    code: str
    name: Any  # a lazy translation
    definitive: Treatment
    source: str
    limit_minutes: int | None = None
    fallback: Treatment | None = None
    stabilise: Treatment | None = None
    stabilise_after: int = 30
    # Stroke: go straight to the thrombectomy centre when that delays thrombolysis by at most
    # this many minutes (a "mothership" triage threshold: no national text sets one, so this is
    # our policy after STROKE_EVT_CN_2022's advice to weigh the delay to thrombolysis).
    direct_if_within: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


CONDITIONS: dict[str, Condition] = {
    c.code: c
    for c in (
        Condition(
            "stemi",
            _("ST-elevation myocardial infarction (STEMI)"),
            definitive=Treatment("pci", _("primary PCI"), 90, CHEST_PAIN_STANDARD),
            limit_minutes=120,
            fallback=Treatment("thrombolysis_stemi", _("fibrinolysis"), 30, CHEST_PAIN_STANDARD),
            source=(
                f"{STEMI_CN_2019}: 首次医疗接触至导丝通过≤120分钟时首选直接PCI，"
                f"否则30分钟内溶栓后转运（2–24小时内造影）; {ESC_ACS_2023}"
            ),
        ),
        Condition(
            "stroke",
            _("Suspected acute ischaemic stroke"),
            definitive=Treatment(
                "thrombolysis_stroke", _("intravenous thrombolysis"), 60, STROKE_CN_2023
            ),
            fallback=None,
            stabilise=None,
            source=(
                f"{STROKE_CN_2023}: 进门-溶栓≤60分钟，发病4.5小时内; "
                f"{STROKE_EVT_CN_2022}; {AHA_STROKE_2019}"
            ),
            direct_if_within=30,
        ),
        Condition(
            "severe_trauma",
            _("Severe trauma with haemorrhage"),
            definitive=Treatment(
                "trauma_surgery",
                _("damage-control surgery"),
                30,
                TRAUMA_CENTRE_2018,
                facilities=("operating_room",),
            ),
            source=f"{TRAUMA_CENTRE_2018}: 严重创伤患者尽快由外科医生在手术室控制出血; {ATLS_10}",
        ),
        Condition(
            "obstetric_haemorrhage",
            _("Obstetric haemorrhage"),
            definitive=Treatment(
                "caesarean_section",
                _("surgical haemostasis with transfusion"),
                30,
                PPH_CN_2023,
            ),
            stabilise=Treatment(
                "vaginal_delivery", _("uterotonics and balloon tamponade"), 10, PPH_CN_2023
            ),
            source=(
                f"{PPH_CN_2023}: 产后出血30分钟内启动多学科抢救，保守无效即手术止血并输血; "
                f"{MATERNAL_CENTRE_2017}"
            ),
        ),
        Condition(
            "paediatric",
            _("Paediatric emergency (critically ill child)"),
            definitive=Treatment("icu", _("paediatric intensive care"), 30, PALS_2020),
            stabilise=Treatment(
                "", _("airway, breathing and circulation support"), 10, TOWNSHIP_STANDARD_2022
            ),
            source=(
                f"{PAEDIATRIC_CENTRE_2017}; {PALS_2020}: 先就近复苏稳定，再转运至有重症监护的医院"
            ),
        ),
    )
}
# Stroke's second stage: the thrombectomy centre, for large-vessel occlusion.
THROMBECTOMY = Treatment(
    "mechanical_thrombectomy", _("mechanical thrombectomy"), 90, STROKE_EVT_CN_2022
)
# STEMI after fibrinolysis: angiography/PCI at a PCI centre within 2–24 hours (STEMI_CN_2019).
PCI_AFTER_LYSIS_HOURS = (2, 24)

# Case timestamps, in order (after the chest-pain and stroke centre data standards, which time
# onset, first medical contact, departure, arrival and the start of treatment).
CASE_TIMES = ("onset_at", "call_at", "departure_at", "arrival_at", "treatment_at")
