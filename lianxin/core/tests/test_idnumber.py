"""Resident ID numbers (GB 11643-1999): generated valid numbers pass, every single-character change
is caught, old 15-digit numbers are upgraded, and each kind of mistake gets its own error code."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin.core.idnumber import (
    PROVINCE_CODES,
    check_character,
    make_id_number,
    parse_id_number,
    validate_against_record,
)

TODAY = datetime.date(2025, 6, 1)
ALLOWED = "0123456789X"

provinces = st.sampled_from(sorted(PROVINCE_CODES))
divisions = st.builds(
    lambda province, rest: province + rest, provinces, st.from_regex(r"\A[0-9]{4}\Z")
)
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
orders = st.integers(min_value=0, max_value=999)


def error_code(raw: str) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_id_number(raw, today=TODAY)
    return caught.value.code


@given(division=divisions, birth=birth_dates, order=orders)
def test_generated_valid_numbers_pass_and_read_back(division, birth, order):
    value = make_id_number(division, birth, order)
    number = parse_id_number(value, today=TODAY)
    assert number.value == value
    assert number.division_code == division
    assert number.birth_date == birth
    assert number.order == order
    assert number.sex == ("1" if order % 2 else "2")
    assert number.upgraded_from is None


@settings(max_examples=60)
@given(division=divisions, birth=birth_dates, order=orders)
def test_any_single_character_change_is_rejected(division, birth, order):
    value = make_id_number(division, birth, order)
    for position in range(18):
        for replacement in ALLOWED:
            if replacement == value[position]:
                continue
            changed = value[:position] + replacement + value[position + 1 :]
            with pytest.raises(ValidationError):
                parse_id_number(changed, today=TODAY)


@given(
    division=divisions,
    birth=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(1999, 12, 31)),
    order=orders,
)
def test_old_fifteen_digit_numbers_are_upgraded_to_eighteen(division, birth, order):
    old = f"{division}{birth:%y%m%d}{order:03d}"
    number = parse_id_number(old, today=TODAY)
    assert number.value == make_id_number(division, birth, order)
    assert number.value[6:8] == "19"
    assert number.upgraded_from == old
    assert number.birth_date == birth


@pytest.mark.parametrize(
    ("value", "birth", "sex"),
    [
        # The worked examples of GB 11643-1999 itself.
        ("11010519491231002X", datetime.date(1949, 12, 31), "2"),
        ("440524188001010014", datetime.date(1880, 1, 1), "1"),
        # Shaped like the demo county's residents (尤溪县, 350426).
        (make_id_number("350426", datetime.date(1987, 3, 9), 123), datetime.date(1987, 3, 9), "1"),
    ],
)
def test_known_examples_are_valid(value, birth, sex):
    number = parse_id_number(value, today=TODAY)
    assert (number.birth_date, number.sex) == (birth, sex)


def test_check_character_x_stands_for_ten():
    assert check_character("11010519491231002") == "X"


def test_a_lower_case_x_and_stray_spaces_are_normalised():
    assert parse_id_number(" 110105 19491231 002x ", today=TODAY).value == "11010519491231002X"


def test_february_the_thirtieth_is_not_a_date():
    first17 = "35042619900230123"
    assert error_code(first17 + check_character(first17)) == "birth_date"


def test_a_birth_date_after_today_is_impossible():
    future = make_id_number("350426", TODAY + datetime.timedelta(days=1), 11)
    assert error_code(future) == "birth_date"


def test_a_birth_date_before_1880_is_impossible():
    first17 = "35042618791231011"
    assert error_code(first17 + check_character(first17)) == "birth_date"


@pytest.mark.parametrize("raw", ["", "3504261990", "35042619900101123", "3504261990010112345"])
def test_wrong_lengths_are_reported_as_length(raw):
    assert error_code(raw) == "length"


@pytest.mark.parametrize(
    "raw",
    [
        "35042619900101123A",
        "3504261990010X1234",
        "35042A900101123",
        "3504261990010112\u0663X",  # an Arabic-Indic three: a digit to str.isdigit, not to GB 11643
        "35042690010112\u0663",
    ],
)
def test_bad_characters_are_reported_as_format(raw):
    assert error_code(raw) == "format"


def test_full_width_digits_from_a_chinese_input_method_are_accepted():
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert parse_id_number(full_width, today=TODAY).value == "11010519491231002X"


def test_an_unknown_province_is_reported_as_division():
    first17 = "99042619900101123"
    assert error_code(first17 + check_character(first17)) == "division"


def test_a_wrong_check_character_is_reported_as_checksum():
    value = make_id_number("350426", datetime.date(1990, 1, 1), 123)
    wrong = "0" if value[-1] != "0" else "1"
    assert error_code(value[:-1] + wrong) == "checksum"


def test_an_old_number_with_an_impossible_date_is_rejected():
    assert error_code("350426900230123") == "birth_date"


def test_the_record_must_agree_with_the_number():
    number = parse_id_number(make_id_number("350426", datetime.date(1990, 1, 1), 124), today=TODAY)
    validate_against_record(number, birth_date=datetime.date(1990, 1, 1), sex="2")
    with pytest.raises(ValidationError) as caught:
        validate_against_record(number, birth_date=datetime.date(1990, 1, 2), sex="1")
    assert set(caught.value.message_dict) == {"birth_date", "sex"}


def test_an_unknown_sex_is_not_held_against_the_number():
    number = parse_id_number(make_id_number("350426", datetime.date(1990, 1, 1), 124), today=TODAY)
    validate_against_record(number, sex="9")
