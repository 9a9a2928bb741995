"""Candidate matching: the slips that make a second record of one person are found and scored."""

from __future__ import annotations

import datetime

import pytest

from lianxin.core.idnumber import make_id_number
from lianxin.patients.matching import (
    Probe,
    birth_date_variants,
    clean_id_text,
    compare,
    find_candidates,
    id_neighbours,
)
from lianxin.patients.pinyin import name_pinyin, name_sound
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1958, 4, 11)
ID = make_id_number("350426", BIRTH, 37)


def _levels(candidate):
    return {e.field: e.level for e in candidate.evidence}


def test_homophones_traditional_forms_and_pinyin_only_names_share_the_reading():
    assert name_pinyin("张伟") == name_pinyin("章伟") == name_pinyin("張偉") == "zhangwei"
    assert name_pinyin("Zhang Wei") == "zhangwei"
    assert name_sound("ZHANGWEI") == name_sound("张伟") == name_sound("赞伟")  # zh/z, ang/an
    assert name_pinyin("单田芳").startswith("shan")  # the surname's reading, not the word's


def test_id_neighbours_cover_one_wrong_digit_and_a_swap_and_are_all_valid():
    wrong_digit = ID[:9] + str((int(ID[9]) + 1) % 10) + ID[10:17]
    swapped = ID[:10] + ID[11] + ID[10] + ID[12:17]
    neighbours = {n[:17] for n in id_neighbours(ID)}
    assert wrong_digit in neighbours
    if ID[10] != ID[11]:
        assert swapped in neighbours
    assert ID[:17] not in neighbours


def test_a_fifteen_digit_card_is_read_as_its_eighteen_digit_number():
    old = ID[:6] + ID[8:17]  # the pre-1999 card: two-digit year, no check character
    assert clean_id_text(old) == ID


def test_birth_date_variants_include_the_swap_and_single_digit_slips():
    variants = birth_date_variants(datetime.date(1958, 4, 11))
    assert datetime.date(1958, 11, 4) in variants
    assert datetime.date(1968, 4, 11) in variants
    assert datetime.date(1958, 4, 17) in variants
    assert datetime.date(1959, 5, 12) not in variants


def test_it_finds_the_village_record_without_an_id_number_at_county_registration(personas):
    village_record = PatientFactory(
        name="林秀英", sex="2", birth_date=BIRTH, id_number=None, phone="", address=""
    )
    register_at(village_record, personas.village_a)
    PatientFactory(name="林秀兰", sex="2", birth_date=datetime.date(1990, 1, 2), id_number=None)
    probe = Probe(name="林秀英", sex="2", birth_date=datetime.date(1958, 11, 4))  # day/month
    found = find_candidates(probe)
    assert [c.patient for c in found] == [village_record]
    assert _levels(found[0]) == {"name": "exact", "sex": "exact", "birth_date": "swapped"}


def test_a_mistyped_id_number_and_a_homophone_still_find_the_patient(personas):
    patient = PatientFactory(name="陈建国", sex="1", birth_date=BIRTH, id_number=ID)
    typo = ID[:15] + str((int(ID[15]) + 3) % 10) + ID[16:]
    found = find_candidates(Probe(name="陈建帼", sex="1", birth_date=BIRTH, id_number=typo))
    assert found[0].patient == patient
    assert _levels(found[0])["id_number"] == "near"
    assert _levels(found[0])["name"] == "pinyin"


def test_a_record_number_of_the_institution_finds_the_patient(personas):
    patient = PatientFactory(name="王芳", sex="2", birth_date=BIRTH, id_number=None)
    register_at(patient, personas.township_a, "HIS-0042")
    found = find_candidates(
        Probe(name="王芳", sex="2", birth_date=BIRTH, record_numbers=["HIS-0042"])
    )
    assert found[0].patient == patient
    assert _levels(found[0])["record_number"] == "exact"


def test_two_people_with_different_id_numbers_are_not_offered(personas):
    PatientFactory(name="刘洋", sex="1", birth_date=BIRTH, id_number=ID)
    other = make_id_number("350426", BIRTH, 991)
    assert find_candidates(Probe(name="刘洋", sex="1", birth_date=BIRTH, id_number=other)) == []


def test_merged_records_are_never_candidates_but_their_survivors_are(personas):
    survivor = PatientFactory(name="黄丽", sex="2", birth_date=BIRTH, id_number=None)
    merged = PatientFactory(name="黄丽", sex="2", birth_date=BIRTH, id_number=None)
    merged.merged_into = survivor
    merged.save()
    assert [c.patient for c in find_candidates(Probe(name="黄丽", sex="2", birth_date=BIRTH))] == [
        survivor
    ]


def test_an_unidentified_patient_matches_on_sex_and_apparent_age_only_weakly():
    real = PatientFactory.build(name="郑大海", sex="1", birth_date=BIRTH, id_number=None)
    unknown = Probe(
        name="无名氏1203-01",
        sex="1",
        birth_date=BIRTH + datetime.timedelta(days=400),
        birth_date_estimated=True,
    )
    candidate = compare(unknown, real)
    assert _levels(candidate)["birth_date"] == "near"
    assert candidate.weight < 8  # an MPI administrator resolves them, the matcher does not


def test_an_import_row_that_may_be_a_known_patient_waits_unless_confirmed(personas):
    from lianxin.core.imports import Status
    from lianxin.patients.imports import ResidentImporter

    importer = ResidentImporter(actor=personas.doctor, institution=personas.township_a)
    row = {"name": "张三", "sex": "男", "birth_date": datetime.date(1960, 5, 17)}
    status, messages = importer.import_row(row, {})
    assert status == Status.SKIPPED and "确认新建" in messages[0]
    status, _messages = importer.import_row({**row, "confirm_new": "是"}, {})
    assert status == Status.CREATED
