"""Resident ID numbers (居民身份证号码), GB 11643-1999 "Citizen identification number".

An 18-character number: a 6-digit address code (GB/T 2260 administrative division), an 8-digit
birth date (YYYYMMDD), a 3-digit order code (odd for men, even for women) and a check character
computed with ISO 7064:1983 MOD 11-2 (``X`` standing for 10). The 15-digit numbers issued before
1999 (YYMMDD birth date, no check character, births in the 1900s) are accepted and upgraded.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Weights W_i = 2^(17-i) mod 11 for positions 1..17 (GB 11643-1999 §8.2).
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARACTERS = "10X98765432"  # index: (sum of weighted digits) mod 11
# First two digits: provinces, autonomous regions and municipalities of GB/T 2260, plus 71
# (Taiwan), 81/82 (Hong Kong, Macao) and 83 (residence permits for Taiwan residents).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    }
)  # fmt: skip
EARLIEST_BIRTH = datetime.date(1880, 1, 1)


@dataclass(frozen=True)
class IdNumber:
    value: str
    division_code: str
    birth_date: datetime.date
    order: int
    upgraded_from: str | None = None

    @property
    def sex(self) -> str:
        """GB/T 2261.1 code: 1 male (odd order code), 2 female (even)."""
        return "1" if self.order % 2 else "2"


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def make_id_number(division_code: str, birth_date: datetime.date, order: int) -> str:
    """Build a valid 18-character number (for the demo county and tests)."""
    if not 0 <= order <= 999:
        raise ValueError("the order code has three digits")
    first17 = f"{division_code[:6]}{birth_date:%Y%m%d}{order:03d}"
    return first17 + check_character(first17)


def _ascii_digits(text: str) -> bool:
    """0-9 only: ``str.isdigit`` also accepts other scripts' digits, which int() would read."""
    return text.isascii() and text.isdigit()


def _parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def parse_id_number(raw: str, *, today: datetime.date | None = None) -> IdNumber:
    """Validate and normalise; raise ``ValidationError`` with a message a person can act on."""
    today = today or datetime.date.today()
    # NFKC turns the full-width digits and Ｘ that Chinese input methods type into ASCII.
    value = "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()
    upgraded_from = None
    if len(value) == 15:
        if not _ascii_digits(value):
            raise ValidationError(_("A 15-digit ID number contains digits only."), code="format")
        upgraded_from = value
        first17 = f"{value[:6]}19{value[6:15]}"
        value = first17 + check_character(first17)
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters (or 15 for an old card); this one has %(n)d.")
            % {"n": len(value)},
            code="length",
        )
    if not _ascii_digits(value[:17]) or not (_ascii_digits(value[17]) or value[17] == "X"):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="format"
        )
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("The ID number's address code %(code)s is not a province of China.")
            % {"code": value[:6]},
            code="division",
        )
    birth = _parse_date(value[6:14])
    if birth is None:
        raise ValidationError(
            _("The ID number's birth date %(date)s is not a real date.") % {"date": value[6:14]},
            code="birth_date",
        )
    if birth > today or birth < EARLIEST_BIRTH:
        raise ValidationError(
            _("The ID number's birth date %(date)s is not possible.") % {"date": birth.isoformat()},
            code="birth_date",
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("The ID number's check character is wrong: please check each digit."),
            code="checksum",
        )
    return IdNumber(
        value=value,
        division_code=value[:6],
        birth_date=birth,
        order=int(value[14:17]),
        upgraded_from=upgraded_from,
    )


def validate_against_record(
    number: IdNumber, *, birth_date: datetime.date | None = None, sex: str | None = None
) -> None:
    """The number must agree with the birth date and sex entered for the person."""
    errors: dict[str, str] = {}
    if birth_date is not None and birth_date != number.birth_date:
        errors["birth_date"] = _(
            "The birth date %(entered)s does not match the ID number (%(from_id)s)."
        ) % {"entered": birth_date.isoformat(), "from_id": number.birth_date.isoformat()}
    if sex in {"1", "2"} and sex != number.sex:
        errors["sex"] = _("The sex does not match the ID number.")
    if errors:
        raise ValidationError(errors)
