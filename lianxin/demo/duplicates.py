"""Second records of one person, made the way they happen at registration desks.

Used by the demo (a few likely duplicates for the MPI administrators), by the matching tests and
by ``bench/mpi_matching.py`` (an evaluation set with known truth at several error rates).
"""

from __future__ import annotations

import contextlib
import datetime
import random
from dataclasses import dataclass
from typing import Any

from lianxin.core.idnumber import check_character

# Characters read alike (homophones) and the common variant forms clerks type for them.
HOMOPHONES: dict[str, str] = {
    "伟": "玮", "玮": "伟", "明": "铭", "芳": "方", "丽": "莉", "莉": "丽", "静": "靜",
    "华": "華", "军": "君", "敏": "民", "国": "帼", "建": "健", "秀": "琇", "英": "瑛",
    "兰": "蘭", "红": "虹", "平": "萍", "萍": "平", "杰": "傑", "文": "雯", "辉": "晖",
    "强": "彊", "林": "琳", "燕": "艳", "霞": "侠", "玲": "铃", "娟": "鹃", "勇": "涌",
    "海": "嗨", "春": "椿", "金": "今", "珍": "贞", "桂": "贵", "凤": "风", "梅": "玫",
    "志": "智", "刚": "钢", "福": "富", "荣": "蓉", "德": "得", "清": "青", "子": "梓",
}  # fmt: skip
ERROR_KINDS = (
    "name_homophone",
    "name_pinyin_only",
    "birth_swap",
    "birth_digit",
    "id_digit",
    "id_transposed",
    "id_missing",
    "phone_missing",
    "phone_changed",
)


@dataclass
class Record:
    name: str
    sex: str
    birth_date: datetime.date
    id_number: str | None
    phone: str
    address: str
    division_code: str = ""

    def as_fields(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _valid_with(first17: str) -> str:
    return first17 + check_character(first17)


def duplicate_of(record: Record, rng: random.Random, errors: int = 2) -> tuple[Record, list[str]]:
    """A second record of the same person with ``errors`` slips drawn from ``ERROR_KINDS``."""
    from lianxin.patients.pinyin import name_syllables

    copy = Record(**record.as_fields())
    kinds = rng.sample(ERROR_KINDS, k=min(errors, len(ERROR_KINDS)))
    for kind in kinds:
        if kind == "name_homophone":
            spots = [i for i, ch in enumerate(copy.name) if ch in HOMOPHONES and i > 0]
            if spots:
                i = rng.choice(spots)
                copy.name = copy.name[:i] + HOMOPHONES[copy.name[i]] + copy.name[i + 1 :]
        elif kind == "name_pinyin_only":
            syllables = name_syllables(copy.name)
            copy.name = (syllables[0].capitalize() + " " + "".join(syllables[1:]).capitalize())[:40]
        elif kind == "birth_swap" and copy.birth_date.day <= 12:
            with contextlib.suppress(ValueError):
                copy.birth_date = copy.birth_date.replace(
                    month=copy.birth_date.day, day=copy.birth_date.month
                )
        elif kind == "birth_digit":
            delta = rng.choice([1, -1, 10, -10])
            with contextlib.suppress(ValueError):
                copy.birth_date = copy.birth_date.replace(year=copy.birth_date.year + delta)
        elif kind in {"id_digit", "id_transposed"} and copy.id_number:
            first17 = copy.id_number[:17]
            i = rng.randrange(6, 17)
            if kind == "id_digit":
                digit = rng.choice([d for d in "0123456789" if d != first17[i]])
                first17 = first17[:i] + digit + first17[i + 1 :]
            elif i < 16:
                first17 = first17[:i] + first17[i + 1] + first17[i] + first17[i + 2 :]
            # A clerk's slip fails the check character; only a few in eleven pass it. Keep it
            # valid so that the number can be stored (registration refuses invalid numbers).
            copy.id_number = _valid_with(first17)
        elif kind == "id_missing":
            copy.id_number = None
        elif kind == "phone_missing":
            copy.phone = ""
        elif kind == "phone_changed" and copy.phone:
            copy.phone = copy.phone[:3] + f"{rng.randrange(100_000_000):08d}"
    if copy.id_number and copy.id_number[6:14] != f"{copy.birth_date:%Y%m%d}":
        # A record whose number no longer agrees with its birth date could not be registered:
        # the slip in the date was in the number too, or the number was not given.
        try:
            from_number = datetime.datetime.strptime(copy.id_number[6:14], "%Y%m%d").date()
        except ValueError:
            from_number = None
        if from_number is None or from_number.year < 1880 or rng.random() < 0.5:
            copy.id_number = None
        else:
            copy.birth_date = from_number
    return copy, kinds
