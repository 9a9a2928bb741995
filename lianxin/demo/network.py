"""Demo step 1: institutions, communities, departments, agreements and equipment (with its status
history).

Fixture generation of a synthetic world: rows are written with ``bulk_create`` / ``create``
directly, not through the registry's actions, and without audit rows (``build_county`` writes one
summary row). Institution codes here are demo codes (``<division>-<letter><number>``), not real
registration numbers.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from lianxin.demo import county as geo
from lianxin.demo.context import DemoCounty
from lianxin.network.models import (
    Agreement,
    AgreementKind,
    Capability,
    CentreType,
    Community,
    CommunityKind,
    CommunityMember,
    Department,
    DepartmentKind,
    Equipment,
    EquipmentStatus,
    EquipmentStatusChange,
    Institution,
    Tier,
)
from lianxin.network.rules import sync_capabilities
from lianxin.workforce.rules import sync_specialties

CLINICAL = DepartmentKind.CLINICAL
MEDTECH = DepartmentKind.MEDTECH
SHARED = DepartmentKind.SHARED_CENTRE
ADMIN = DepartmentKind.ADMIN


@dataclass(frozen=True)
class Dept:
    code: str
    name: str
    kind: str = CLINICAL
    specialty: str = ""  # workforce.rules specialty code of the department's physicians
    physicians: int = 0
    centre_type: str = ""
    technicians: int = 0


# Departments per tier, with how many practitioners the demo puts in each.
TERTIARY_DEPARTMENTS = (
    Dept("JZ", "急诊科", specialty="20", physicians=4),
    Dept("XXG", "心血管内科", specialty="03.04", physicians=6),
    Dept("SJNK", "神经内科", specialty="03.03", physicians=4),
    Dept("SJWK", "神经外科", specialty="04.02", physicians=3),
    Dept("XWK", "胸外科", specialty="04.05", physicians=2),
    Dept("ZLK", "肿瘤科", specialty="19", physicians=2),
    Dept("PWK", "普外科", specialty="04.01", physicians=3),
    Dept("JZWK", "脊柱外科", specialty="04.03", physicians=3),
    Dept("FCK", "妇产科", specialty="05", physicians=3),
    Dept("EK", "儿科", specialty="07", physicians=2),
    Dept("ICU", "重症医学科", specialty="28", physicians=3),
    Dept("YXK", "医学影像科", MEDTECH, "32", physicians=3),
    Dept("BLK", "病理科", MEDTECH, "31", physicians=2),
    Dept("JYK", "检验科", MEDTECH, "30", technicians=1),
    Dept("WLB", "医联体办公室", ADMIN),
)
COUNTY_HOSPITAL_DEPARTMENTS = (
    Dept("JZ", "急诊科", specialty="20", physicians=8),
    Dept("XXG", "心血管内科", specialty="03.04", physicians=8),
    Dept("SJNK", "神经内科", specialty="03.03", physicians=6),
    Dept("HXNK", "呼吸内科", specialty="03.01", physicians=5),
    Dept("XHNK", "消化内科", specialty="03.02", physicians=5),
    Dept("NFM", "内分泌科", specialty="03.07", physicians=3),
    Dept("SNK", "肾内科", specialty="03.06", physicians=3),
    Dept("PWK", "普外科", specialty="04.01", physicians=7),
    Dept("GK", "骨科", specialty="04.03", physicians=6),
    Dept("SJWK", "神经外科", specialty="04.02", physicians=3),
    Dept("MNWK", "泌尿外科", specialty="04.04", physicians=3),
    Dept("FCK", "妇产科", specialty="05", physicians=6),
    Dept("EK", "儿科", specialty="07", physicians=5),
    Dept("ICU", "重症医学科", specialty="28", physicians=4),
    Dept("MZK", "麻醉科", specialty="26", physicians=4),
    Dept("QKYX", "全科医学科", specialty="02", physicians=3),
    Dept("KFK", "康复医学科", specialty="21", physicians=2),
    Dept("YXK", "影像科", MEDTECH, "32", physicians=3),
    Dept("JYK", "检验科", MEDTECH, "30", technicians=2),
    Dept("YWK", "医务科", ADMIN),
    # The community's shared centres sit at the county hospital (基层检查、上级诊断).
    Dept("YXZX", "医共体影像中心", SHARED, "32", 3, CentreType.IMAGING, technicians=2),
    Dept("XDZX", "医共体心电中心", SHARED, "32.06", 3, CentreType.ECG),
    Dept("JYZX", "医共体检验中心", SHARED, "30", 1, CentreType.LABORATORY, technicians=2),
    Dept("BLZX", "医共体病理中心", SHARED, "31", 2, CentreType.PATHOLOGY),
    Dept("XDGY", "医共体消毒供应中心", SHARED, "", 0, CentreType.STERILE, technicians=2),
)
TCM_DEPARTMENTS = (
    Dept("ZYNK", "中医内科", specialty="50", physicians=6),
    Dept("ZJTN", "针灸推拿科", specialty="50", physicians=4),
    Dept("GSK", "骨伤科", specialty="50", physicians=4),
    Dept("KFK", "康复科", specialty="21", physicians=3),
    Dept("JZ", "急诊科", specialty="20", physicians=3),
    Dept("ZXY", "中西医结合科", specialty="52", physicians=2),
    Dept("YXK", "影像科", MEDTECH, "32", physicians=2),
    Dept("JYK", "检验科", MEDTECH, "30", technicians=1),
)
MCH_DEPARTMENTS = (
    Dept("FK", "妇科", specialty="05.01", physicians=4),
    Dept("CK", "产科", specialty="05.02", physicians=5),
    Dept("EK", "儿科", specialty="07", physicians=4),
    Dept("EBK", "儿童保健科", specialty="09", physicians=2),
    Dept("FBK", "妇女保健科", specialty="06", physicians=2),
    Dept("CSK", "超声科", MEDTECH, "32.05", physicians=2),
    Dept("JYK", "检验科", MEDTECH, "30", technicians=1),
)
OTHER_HOSPITAL_DEPARTMENTS = (
    Dept("JZ", "急诊科", specialty="20"),
    Dept("XXG", "心血管内科", specialty="03.04"),
    Dept("PWK", "普外科", specialty="04.01"),
)


def township_departments(index: int, *, delivery: bool) -> tuple[Dept, ...]:
    """The county-seat centre (index 0) is the largest; the others have five or six doctors."""
    extra = 2 if index == 0 else index % 2
    depts = [
        Dept("QK", "全科", specialty="02", physicians=2 + extra),
        Dept("NK", "内科", specialty="03", physicians=1),
        Dept("WK", "外科", specialty="04", physicians=1),
        Dept("ZYK", "中医科", specialty="50", physicians=1),
        Dept("GW", "公共卫生科", specialty="01"),
        Dept("FSK", "放射科", MEDTECH, "32", technicians=1),
        Dept("JYK", "检验科", MEDTECH, "30", technicians=1),
        Dept("XDS", "心电室", MEDTECH, "32.06"),
    ]
    if delivery:
        depts.insert(3, Dept("FCK", "妇产科", specialty="05", physicians=1))
    return tuple(depts)


# Townships (by index in county.TOWNSHIPS) with a CT, a delivery room, an operating room, a
# gastroscope: the larger or more remote centres (a demo choice).
TOWNSHIPS_WITH_CT = (2, 5, 8)
TOWNSHIPS_WITH_DELIVERY = (0, 2, 5, 8)
TOWNSHIPS_WITH_SURGERY = (0, 2, 8)
TOWNSHIPS_WITH_GASTROSCOPE = (0, 5)

# (capability, equipment name, model description, department code, how many)
TERTIARY_EQUIPMENT = (
    ("ct", "CT", "256排螺旋CT", "YXK", 3),
    ("mri", "磁共振", "3.0T超导磁共振", "YXK", 2),
    ("dr", "DR", "数字化X线摄影系统", "YXK", 4),
    ("ultrasound", "彩超", "彩色多普勒超声诊断仪", "YXK", 6),
    ("ecg", "心电图机", "十二导联心电图机", "XXG", 6),
    ("laboratory", "全自动生化分析仪", "生化免疫流水线", "JYK", 1),
    ("pathology", "病理切片系统", "全自动组织脱水机与切片机", "BLK", 1),
    ("gastroscopy", "电子胃镜", "高清电子胃镜", "PWK", 3),
    ("colonoscopy", "电子结肠镜", "高清电子结肠镜", "PWK", 2),
    ("operating_room", "手术间", "层流手术间", None, 12),
    ("icu", "重症监护病房", "ICU 24床", "ICU", 1),
    ("nicu", "新生儿重症监护病房", "NICU 12床", "EK", 1),
    ("ecmo", "ECMO", "体外膜肺氧合系统", "ICU", 1),
    ("pci_lab", "导管室", "数字减影血管造影机（DSA）", "XXG", 2),
    ("dialysis", "血液透析室", "血液透析机 30台", None, 1),
    ("delivery_room", "产房", "LDR产房", "FCK", 1),
    ("blood_bank", "输血科", "血库", None, 1),
    ("sterile_supply", "消毒供应中心", "脉动真空压力蒸汽灭菌器", None, 1),
)
COUNTY_HOSPITAL_EQUIPMENT = (
    ("ct", "CT", "64排螺旋CT", "YXZX", 2),
    ("mri", "磁共振", "1.5T超导磁共振", "YXZX", 1),
    ("dr", "DR", "数字化X线摄影系统", "YXZX", 2),
    ("ultrasound", "彩超", "彩色多普勒超声诊断仪", "YXK", 4),
    ("ecg", "心电图机", "十二导联心电图机", "XDZX", 4),
    ("laboratory", "全自动生化分析仪", "生化免疫分析系统", "JYZX", 1),
    ("pathology", "病理切片系统", "组织脱水机与切片机", "BLZX", 1),
    ("gastroscopy", "电子胃镜", "电子胃镜", "XHNK", 2),
    ("colonoscopy", "电子结肠镜", "电子结肠镜", "XHNK", 1),
    ("operating_room", "手术间", "手术间", None, 6),
    ("icu", "重症监护病房", "ICU 12床", "ICU", 1),
    ("dialysis", "血液透析室", "血液透析机 12台", "SNK", 1),
    ("delivery_room", "产房", "产房", "FCK", 1),
    ("blood_bank", "输血科", "血库", None, 1),
    ("sterile_supply", "消毒供应中心", "脉动真空压力蒸汽灭菌器", "XDGY", 2),
)
TCM_EQUIPMENT = (
    ("ct", "CT", "16排螺旋CT", "YXK", 1),
    ("dr", "DR", "数字化X线摄影系统", "YXK", 1),
    ("ultrasound", "彩超", "彩色多普勒超声诊断仪", "YXK", 2),
    ("ecg", "心电图机", "十二导联心电图机", "JZ", 2),
    ("laboratory", "生化分析仪", "全自动生化分析仪", "JYK", 1),
    ("gastroscopy", "电子胃镜", "电子胃镜", "ZXY", 1),
    ("operating_room", "手术间", "手术间", None, 2),
)
MCH_EQUIPMENT = (
    ("ultrasound", "彩超", "彩色多普勒超声诊断仪", "CSK", 3),
    ("ecg", "心电图机", "十二导联心电图机", "EK", 1),
    ("laboratory", "生化分析仪", "全自动生化分析仪", "JYK", 1),
    ("operating_room", "手术间", "手术间", None, 2),
    ("delivery_room", "产房", "产房", "CK", 1),
    ("nicu", "新生儿病房", "新生儿病房 8床", "EK", 1),
)
OTHER_HOSPITAL_EQUIPMENT = (
    ("ct", "CT", "64排螺旋CT", None, 1),
    ("ecg", "心电图机", "十二导联心电图机", "JZ", 2),
    ("operating_room", "手术间", "手术间", None, 4),
)
OTHER_HOSPITALS = (
    # (name, county code, latitude, longitude, beds)
    ("平和县医院", "350628", 24.366, 117.314, 650),
    ("华安县医院", "350629", 25.004, 117.534, 400),
    ("长泰区医院", "350605", 24.626, 117.759, 500),
)


def _institution(
    county: DemoCounty,
    *,
    name: str,
    short_name: str,
    code: str,
    tier: str,
    division_code: str,
    address: str,
    lat: float,
    lon: float,
    beds: int = 0,
    grade: str = "",
    parent: Institution | None = None,
) -> Institution:
    rng = county.rng
    return Institution(
        name=name,
        short_name=short_name,
        code=code,
        tier=tier,
        grade=grade,
        division_code=division_code,
        address=address,
        latitude=Decimal(f"{lat:.6f}"),
        longitude=Decimal(f"{lon:.6f}"),
        beds=beds,
        phone=f"0596-{rng.randint(6000000, 6999999)}",
        parent=parent,
    )


def _jitter(
    county: DemoCounty, lat: float, lon: float, spread: float = 0.04
) -> tuple[float, float]:
    rng = county.rng
    return lat + rng.uniform(-spread, spread), lon + rng.uniform(-spread, spread)


def village_names(county: DemoCounty, count: int) -> list[str]:
    """Distinct invented village names (``石坑村``) for one township."""
    rng = county.rng
    names: list[str] = []
    while len(names) < count:
        prefix = rng.choice(geo.VILLAGE_PREFIXES)
        suffix = rng.choice(geo.VILLAGE_SUFFIXES)
        if prefix == suffix:
            continue
        name = f"{prefix}{suffix}村"
        if name not in names:
            names.append(name)
    return names


def villages_per_township(total: int) -> list[int]:
    """Spread ``total`` villages over the townships in proportion to the default counts."""
    default = [t.villages for t in geo.TOWNSHIPS]
    scale = total / sum(default)
    counts = [max(1, int(n * scale)) for n in default]
    order = sorted(range(len(counts)), key=lambda i: -default[i])
    i = 0
    while sum(counts) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > total:
        j = max(range(len(counts)), key=lambda k: counts[k])
        counts[j] -= 1
    return counts


def build_institutions(county: DemoCounty) -> None:
    prefix = f"{geo.PROVINCE}{geo.CITY}{geo.COUNTY}"
    seat_lat, seat_lon = geo.COUNTY_SEAT
    city_lat, city_lon = geo.CITY_CENTRE
    county.tertiary = _institution(
        county,
        name="漳州市第一医院",
        short_name="市一院",
        code=f"{geo.CITY_CODE}-A001",
        tier=Tier.TERTIARY,
        grade="三级甲等",
        division_code="350602",
        address=f"{geo.PROVINCE}{geo.CITY}芗城区胜利西路",
        lat=city_lat,
        lon=city_lon,
        beds=2200,
    )
    county.county_hospital = _institution(
        county,
        name=f"{geo.COUNTY}总医院",
        short_name="县总医院",
        code=f"{geo.COUNTY_CODE}-A001",
        tier=Tier.COUNTY_HOSPITAL,
        grade="二级甲等",
        division_code=geo.TOWNSHIPS[0].code,
        address=f"{prefix}山城镇大同路",
        lat=seat_lat + 0.004,
        lon=seat_lon - 0.003,
        beds=800,
    )
    county.county_tcm = _institution(
        county,
        name=f"{geo.COUNTY}中医院",
        short_name="县中医院",
        code=f"{geo.COUNTY_CODE}-A002",
        tier=Tier.COUNTY_TCM,
        grade="二级甲等",
        division_code=geo.TOWNSHIPS[0].code,
        address=f"{prefix}山城镇环城路",
        lat=seat_lat - 0.006,
        lon=seat_lon + 0.005,
        beds=300,
    )
    county.county_mch = _institution(
        county,
        name=f"{geo.COUNTY}妇幼保健院",
        short_name="县妇幼",
        code=f"{geo.COUNTY_CODE}-F001",
        tier=Tier.COUNTY_MCH,
        grade="二级乙等",
        division_code=geo.TOWNSHIPS[0].code,
        address=f"{prefix}山城镇新城路",
        lat=seat_lat + 0.008,
        lon=seat_lon + 0.007,
        beds=150,
    )
    county.commission = _institution(
        county,
        name=f"{geo.COUNTY}卫生健康局",
        short_name="县卫健局",
        code=f"{geo.COUNTY_CODE}-W001",
        tier=Tier.COMMISSION,
        division_code=geo.COUNTY_CODE,
        address=f"{prefix}山城镇",
        lat=seat_lat,
        lon=seat_lon,
    )
    county.other_hospitals = [
        _institution(
            county,
            name=name,
            short_name=name.removesuffix("医院"),
            code=f"{code}-A001",
            tier=Tier.COUNTY_HOSPITAL,
            grade="二级甲等",
            division_code=code,
            address=f"{geo.PROVINCE}{geo.CITY}{name.removesuffix('医院')}",
            lat=lat,
            lon=lon,
            beds=beds,
        )
        for name, code, lat, lon, beds in OTHER_HOSPITALS
    ]
    tops = [
        county.tertiary,
        county.county_hospital,
        county.county_tcm,
        county.county_mch,
        county.commission,
        *county.other_hospitals,
    ]
    county.townships = [
        _institution(
            county,
            name=f"{geo.COUNTY}{t.name}卫生院",
            short_name=f"{t.name}卫生院",
            code=f"{geo.COUNTY_CODE}-C{index + 1:03d}",
            tier=Tier.TOWNSHIP,
            grade="一级甲等" if t.beds >= 40 else "一级乙等",
            division_code=t.code,
            address=f"{prefix}{t.name}",
            lat=t.latitude,
            lon=t.longitude,
            beds=t.beds,
        )
        for index, t in enumerate(geo.TOWNSHIPS)
    ]
    Institution.objects.bulk_create([*tops, *county.townships])

    villages: list[Institution] = []
    number = 0
    for township, info, count in zip(
        county.townships, geo.TOWNSHIPS, villages_per_township(county.options.villages), strict=True
    ):
        for index, village in enumerate(village_names(county, count)):
            number += 1
            lat, lon = _jitter(county, info.latitude, info.longitude)
            villages.append(
                _institution(
                    county,
                    name=f"{info.name}{village}卫生室",
                    short_name=f"{village}卫生室",
                    code=f"{geo.COUNTY_CODE}-J{number:03d}",
                    tier=Tier.VILLAGE,
                    division_code=f"{info.code}{200 + index:03d}",
                    address=f"{prefix}{info.name}{village}",
                    lat=lat,
                    lon=lon,
                    parent=township,
                )
            )
    county.villages = Institution.objects.bulk_create(villages)


def build_communities(county: DemoCounty) -> None:
    established = datetime.date(2019, 9, 1)
    county.county_community = Community.objects.create(
        name=f"{geo.COUNTY}医共体",
        kind=CommunityKind.COUNTY,
        lead=county.county_hospital,
        division_code=geo.COUNTY_CODE,
        established_on=established,
        description="县总医院牵头，县中医院、县妇幼保健院、11家乡镇卫生院和村卫生室组成的紧密型县域医共体。",
    )
    county.alliance = Community.objects.create(
        name="漳州市第一医院医联体",
        kind=CommunityKind.ALLIANCE,
        lead=county.tertiary,
        division_code=geo.CITY_CODE,
        established_on=datetime.date(2017, 6, 1),
        description="市第一医院牵头的城市医疗集团，成员包括南靖县医共体及周边县级医院。",
    )
    members = [
        CommunityMember(
            community=county.county_community, member_institution=inst, joined_on=established
        )
        for inst in (
            county.county_hospital,
            county.county_tcm,
            county.county_mch,
            *county.townships,
            *county.villages,
        )
    ]
    members += [
        CommunityMember(community=county.alliance, member_institution=inst)
        for inst in (county.tertiary, *county.other_hospitals)
    ]
    members.append(
        CommunityMember(
            community=county.alliance,
            member_community=county.county_community,
            joined_on=established,
        )
    )
    CommunityMember.objects.bulk_create(members)
    agreements = [
        Agreement(
            party_a=county.county_hospital,
            party_b=member,
            community=county.county_community,
            kind=AgreementKind.TIGHT,
            scope="人员、财务、业务统一管理；共享影像、心电、检验、病理、消毒供应中心。",
            starts_on=established,
        )
        for member in (county.county_tcm, county.county_mch, *county.townships)
    ]
    agreements += [
        Agreement(
            party_a=county.tertiary,
            party_b=member,
            community=county.alliance,
            kind=AgreementKind.LOOSE,
            scope="专家派驻、进修培训、远程会诊、双向转诊绿色通道。",
            starts_on=datetime.date(2017, 6, 1),
        )
        for member in (county.county_hospital, *county.other_hospitals)
    ]
    Agreement.objects.bulk_create(agreements)


def department_plan(county: DemoCounty) -> list[tuple[Institution, Dept]]:
    plan = [(county.tertiary, d) for d in TERTIARY_DEPARTMENTS]
    plan += [(county.county_hospital, d) for d in COUNTY_HOSPITAL_DEPARTMENTS]
    plan += [(county.county_tcm, d) for d in TCM_DEPARTMENTS]
    plan += [(county.county_mch, d) for d in MCH_DEPARTMENTS]
    for hospital in county.other_hospitals:
        plan += [(hospital, d) for d in OTHER_HOSPITAL_DEPARTMENTS]
    for index, township in enumerate(county.townships):
        delivery = index in TOWNSHIPS_WITH_DELIVERY
        plan += [(township, d) for d in township_departments(index, delivery=delivery)]
    return plan


def build_departments(county: DemoCounty) -> None:
    rows = [
        Department(
            institution=inst,
            name=dept.name,
            code=dept.code,
            kind=dept.kind,
            centre_type=dept.centre_type,
            phone=f"0596-{county.rng.randint(6000000, 6999999)}",
        )
        for inst, dept in department_plan(county)
    ]
    for row in Department.objects.bulk_create(rows):
        county.departments[(row.institution_id, row.code)] = row


def _status(county: DemoCounty, essential: bool) -> str:
    """Mostly in use; some idle or broken, never the one a site depends on."""
    if essential:
        return EquipmentStatus.IN_USE
    roll = county.rng.random()
    if roll < 0.06:
        return EquipmentStatus.BROKEN
    if roll < 0.14:
        return EquipmentStatus.IDLE
    return EquipmentStatus.IN_USE


def build_equipment(county: DemoCounty) -> None:
    capabilities = {c.code: c for c in Capability.objects.all()}
    rows: list[Equipment] = []
    serial = 0

    def add(inst: Institution, code: str, name: str, model: str, dept: str | None, n: int) -> None:
        nonlocal serial
        for i in range(n):
            serial += 1
            rows.append(
                Equipment(
                    institution=inst,
                    department=county.departments.get((inst.pk, dept)) if dept else None,
                    capability=capabilities[code],
                    name=name if n == 1 else f"{name} {i + 1}号",
                    model_name=model,
                    serial_number=f"NJ{serial:05d}",
                    status=_status(county, essential=i == 0),
                    installed_on=datetime.date(county.rng.randint(2012, 2024), 1, 1)
                    + datetime.timedelta(days=county.rng.randint(0, 364)),
                )
            )

    for inst, table in (
        (county.tertiary, TERTIARY_EQUIPMENT),
        (county.county_hospital, COUNTY_HOSPITAL_EQUIPMENT),
        (county.county_tcm, TCM_EQUIPMENT),
        (county.county_mch, MCH_EQUIPMENT),
        *((hospital, OTHER_HOSPITAL_EQUIPMENT) for hospital in county.other_hospitals),
    ):
        for code, name, model, dept, n in table:
            add(inst, code, name, model, dept, n)
    for index, township in enumerate(county.townships):
        add(township, "ecg", "心电图机", "十二导联心电图机", "XDS", 2)
        add(township, "dr", "DR", "数字化X线摄影系统", "FSK", 1)
        add(township, "ultrasound", "彩超", "便携式彩色超声诊断仪", "FSK", 1)
        add(township, "laboratory", "生化分析仪", "半自动生化分析仪", "JYK", 1)
        if index in TOWNSHIPS_WITH_CT:
            add(township, "ct", "CT", "16排螺旋CT", "FSK", 1)
        if index in TOWNSHIPS_WITH_DELIVERY:
            add(township, "delivery_room", "产房", "产房", "FCK", 1)
        if index in TOWNSHIPS_WITH_SURGERY:
            add(township, "operating_room", "手术间", "手术间", "WK", 1)
        if index in TOWNSHIPS_WITH_GASTROSCOPE:
            add(township, "gastroscopy", "电子胃镜", "电子胃镜", "NK", 1)
    # A third of the village clinics have a 12-lead ECG that sends to the county ECG centre.
    for village in county.villages[::3]:
        add(village, "ecg", "心电图机", "便携式十二导联心电图机", None, 1)
    Equipment.objects.bulk_create(rows)
    build_equipment_history(county, rows)


def _local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def build_equipment_history(county: DemoCounty, rows: list[Equipment]) -> None:
    """The status history that ends in each piece's current status: in use from its
    installation day; a piece now idle or broken changed on a day of the last half year; and
    the first township CT was broken for three days last month and repaired since, so that a
    question about those days finds it missing. Every entry lies before the demo day."""
    today = county.options.today
    # A generator of its own, so that the other steps draw the same numbers as before.
    rng = random.Random(county.options.seed * 7919 + 1)
    township_ids = {t.pk for t in county.townships}
    repaired = next(
        (row for row in rows if row.capability.code == "ct" and row.institution_id in township_ids),
        None,
    )
    changes: list[EquipmentStatusChange] = []
    for row in rows:
        installed = min(row.installed_on or today, today - datetime.timedelta(days=2))
        changes.append(
            EquipmentStatusChange(
                equipment=row,
                status=EquipmentStatus.IN_USE,
                changed_at=_local(installed, 0),
                note="安装启用",
            )
        )
        if row is repaired and installed < today - datetime.timedelta(days=41):
            for days_ago, hour, status, note in (
                (40, 9, EquipmentStatus.BROKEN, "球管故障，停机待修"),
                (37, 16, EquipmentStatus.IN_USE, "更换球管后恢复使用"),
            ):
                changes.append(
                    EquipmentStatusChange(
                        equipment=row,
                        status=status,
                        changed_at=_local(today - datetime.timedelta(days=days_ago), hour),
                        note=note,
                    )
                )
        if row.status != EquipmentStatus.IN_USE:
            earliest = (today - installed).days - 1  # at least 1: installed two days back
            changes.append(
                EquipmentStatusChange(
                    equipment=row,
                    status=row.status,
                    changed_at=_local(
                        today - datetime.timedelta(days=rng.randint(1, min(180, earliest))),
                        rng.randint(8, 17),
                    ),
                )
            )
    EquipmentStatusChange.objects.bulk_create(changes)


def build_network(county: DemoCounty) -> None:
    sync_capabilities()
    sync_specialties()
    build_institutions(county)
    build_communities(county)
    build_departments(county)
    build_equipment(county)
