"""Bulk imports of institutions and practitioners."""

from __future__ import annotations

import pytest
from django.utils import translation

from lianxin.core.imports import run_import
from lianxin.core.models import AuditEvent
from lianxin.core.tests.test_imports import make_csv, make_xlsx
from lianxin.network.imports import InstitutionImporter
from lianxin.network.models import CommunityMember, Institution, Tier
from lianxin.testing.factories import (
    DepartmentFactory,
    MembershipFactory,
    PractitionerFactory,
    UserFactory,
)
from lianxin.workforce.imports import PractitionerImporter
from lianxin.workforce.models import Practitioner, Profession, Title


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def network_admin(personas):
    user = UserFactory(username="netadmin")
    MembershipFactory(user=user, institution=personas.county_a, role="network_admin")
    return user


def institutions(actor, data: bytes, filename="机构.csv", dry_run=False):
    return run_import(InstitutionImporter(actor=actor), data, filename=filename, dry_run=dry_run)


def practitioners(actor, data: bytes, filename="人员.csv", dry_run=False):
    return run_import(PractitionerImporter(actor=actor), data, filename=filename, dry_run=dry_run)


INSTITUTION_HEADERS = [
    "机构名称",
    "机构代码",
    "类型",
    "行政区划代码",
    "床位数",
    "上级机构代码",
    "医共体",
]


def test_it_imports_institutions_with_chinese_tiers_parents_and_community(personas, network_admin):
    rows = [
        INSTITUTION_HEADERS,
        ["西城镇卫生院", "XC001", "乡镇卫生院", "350426101", "40", "", "尤溪县医共体"],
        ["西城镇上村卫生室", "XC002", "村卫生室", "350426101201", "", "XC001", "尤溪县医共体"],
        ["尤溪县中医院", "TCM01", "county_tcm", "350426", "200", "", ""],
    ]

    report = institutions(network_admin, make_csv(rows, "gbk"))

    assert [r.status for r in report.rows] == ["created"] * 3, report.rows
    township = Institution.objects.get(code="XC001")
    village = Institution.objects.get(code="XC002")
    assert township.tier == Tier.TOWNSHIP and township.beds == 40
    assert village.tier == Tier.VILLAGE and village.parent == township
    assert CommunityMember.objects.filter(
        community=personas.community_a, member_institution=village
    ).exists()
    assert Institution.objects.get(code="TCM01").tier == Tier.COUNTY_TCM
    assert AuditEvent.objects.filter(action="institution.create").count() == 3


def test_bad_institution_rows_are_reported_with_every_field_message(personas, network_admin):
    rows = [
        INSTITUTION_HEADERS,
        ["西城镇卫生院", "XC001", "乡镇卫生院", "350426101", "40", "", ""],
        ["东城镇卫生院", "DC001", "卫生所", "3504", "many", "NOPE", "某某医共体"],
        ["城关镇卫生院", personas.township_a.code, "乡镇卫生院", "350426100", "", "", ""],
        ["另一个卫生院", personas.county_a.code, "乡镇卫生院", "350426100", "", "", ""],
        ["南城镇卫生院", "xc001", "乡镇卫生院", "350426102", "", "", ""],
    ]

    report = institutions(network_admin, make_csv(rows))

    assert [r.status for r in report.rows] == ["created", "error", "skipped", "error", "error"]
    labels = {label for label, _m in report.rows[1].messages}
    assert labels == {"类型", "行政区划代码", "床位数", "上级机构代码", "医共体"}
    assert report.rows[3].messages == [
        ("机构代码", "This code is already registered to 尤溪县总医院.")
    ]
    assert report.rows[4].messages == [("机构代码", "Same value as row 2 of this file.")]
    assert not Institution.objects.filter(code="DC001").exists()
    assert Institution.objects.filter(code=personas.township_a.code).count() == 1


def test_an_institution_administrator_may_not_import_institutions(personas):
    rows = [INSTITUTION_HEADERS, ["西城镇卫生院", "XC001", "乡镇卫生院", "350426101", "", "", ""]]

    report = institutions(personas.admin, make_csv(rows))

    assert report.exit_code == 2 and "may not import institutions" in report.file_errors[0]
    assert not Institution.objects.filter(code="XC001").exists()


def test_a_dry_run_of_institutions_resolves_parents_from_earlier_rows_and_writes_nothing(
    personas, network_admin
):
    rows = [
        INSTITUTION_HEADERS,
        ["西城镇卫生院", "XC001", "township", "350426101", "", "", ""],
        ["上村卫生室", "XC002", "village", "350426101201", "", "XC001", ""],
    ]

    report = institutions(network_admin, make_xlsx(rows), filename="i.xlsx", dry_run=True)

    assert [r.status for r in report.rows] == ["created", "created"], report.rows
    assert not Institution.objects.filter(code__in=["XC001", "XC002"]).exists()


def test_a_numeric_division_code_from_excel_is_read_as_digits(personas, network_admin):
    rows = [INSTITUTION_HEADERS, ["西城镇卫生院", "XC001", "乡镇卫生院", 350426101, 40, None, None]]

    report = institutions(network_admin, make_xlsx(rows), filename="i.xlsx")

    assert report.exit_code == 0, report.rows
    assert Institution.objects.get(code="XC001").division_code == "350426101"


PRACTITIONER_HEADERS = [
    "姓名",
    "机构代码",
    "职称",
    "性别",
    "执业证书编码",
    "科室代码",
    "专科",
    "电话",
]


def test_it_imports_practitioners_with_chinese_titles_departments_and_specialties(personas):
    code = personas.township_a.code
    rows = [
        PRACTITIONER_HEADERS,
        ["陈医生", code, "主治医师", "男", "110350000000001", "GP", "03.04、02", "13912345678"],
        ["林护士", code, "主管护师", "女", "", "", "", ""],
        ["吴村医", code, "乡村医生", "", "", "gp", "全科医疗科", ""],
    ]

    report = practitioners(personas.admin, make_csv(rows, "utf-8-sig"))

    assert [r.status for r in report.rows] == ["created"] * 3, report.rows
    chen = Practitioner.objects.get(name="陈医生")
    assert chen.title == Title.ATTENDING and chen.sex == "M"
    assert chen.department == personas.department_a
    assert chen.licence_number == "110350000000001"
    assert sorted(chen.specialties.values_list("code", flat=True)) == ["02", "03.04"]
    lin = Practitioner.objects.get(name="林护士")
    assert lin.title == Title.SUPERVISOR_NURSE and lin.profession == Profession.NURSE
    assert Practitioner.objects.get(name="吴村医").title == Title.VILLAGE_DOCTOR


def test_bad_practitioner_rows_are_reported_and_the_good_ones_stored(personas):
    code = personas.township_a.code
    DepartmentFactory(institution=personas.county_a, code="CARD")
    rows = [
        PRACTITIONER_HEADERS,
        ["陈医生", code, "主治医师", "男", "110350000000001", "", "", ""],
        ["", code, "大夫", "X", "", "CARD", "03.99", ""],
        ["郑医生", "NOPE", "主治医师", "", "", "", "", ""],
        ["黄医生", personas.county_a.code, "主治医师", "", "", "", "", ""],
        ["周医生", code, "住院医师", "", "110350000000001", "", "", ""],
    ]

    report = practitioners(personas.admin, make_csv(rows))

    assert [r.status for r in report.rows] == ["created", "error", "error", "error", "error"]
    labels = {label for label, _m in report.rows[1].messages}
    assert labels == {"姓名", "职称", "性别", "科室代码", "专科"}
    assert report.rows[2].messages[0][0] == "机构代码"
    assert "may not import" in report.rows[3].messages[0][1]
    assert report.rows[4].messages == [("执业证书编码", "Same value as row 2 of this file.")]
    assert list(
        Practitioner.objects.filter(name__in=["陈医生", "郑医生", "黄医生", "周医生"]).values_list(
            "name", flat=True
        )
    ) == ["陈医生"]


def test_a_licence_number_excel_turned_into_a_number_is_reported(personas):
    rows = [
        PRACTITIONER_HEADERS,
        [
            "陈医生",
            personas.township_a.code,
            "主治医师",
            "男",
            1.10350000000001e20,
            None,
            3.04,
            None,
        ],
    ]

    report = practitioners(personas.admin, make_xlsx(rows), filename="p.xlsx")

    assert report.rows[0].status == "error"
    assert report.rows[0].messages[0][0] == "执业证书编码"
    assert "Text" in report.rows[0].messages[0][1]


def test_a_specialty_code_that_lost_its_leading_zero_in_excel_is_recognised(personas):
    rows = [
        PRACTITIONER_HEADERS,
        ["陈医生", personas.township_a.code, "主治医师", "男", None, None, 3.04, None],
    ]

    report = practitioners(personas.admin, make_xlsx(rows), filename="p.xlsx")

    assert report.rows[0].status == "created", report.rows[0].messages
    assert list(
        Practitioner.objects.get(name="陈医生").specialties.values_list("code", flat=True)
    ) == ["03.04"]


def test_a_practitioner_already_registered_is_skipped_on_a_second_import(personas):
    PractitionerFactory(
        name="陈医生", institution=personas.township_a, licence_number="220350000000009"
    )
    rows = [
        PRACTITIONER_HEADERS,
        ["陈医生", personas.township_a.code, "主治医师", "", "220350000000009", "", "", ""],
    ]

    report = practitioners(personas.admin, make_csv(rows))

    assert report.rows[0].status == "skipped"
    assert Practitioner.objects.filter(licence_number="220350000000009").count() == 1


def test_a_clinician_may_not_import_practitioners(personas):
    rows = [
        PRACTITIONER_HEADERS,
        ["陈医生", personas.township_a.code, "主治医师", "", "", "", "", ""],
    ]

    report = practitioners(personas.doctor, make_csv(rows))

    assert report.exit_code == 2
    assert not Practitioner.objects.filter(name="陈医生").exists()
