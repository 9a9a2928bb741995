"""Pinyin initials of a patient's name (张三 → ``ZS``), the way registration desks search.

pypinyin reads a name as ordinary words, so a surname that is read differently as a surname comes
out wrong (单 is "dan" in a word but "Shan" as a surname). The tables below hold the surname
readings; the source is the surname entries of 现代汉语词典 (第7版) and 《百家姓》.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# Compound surnames (复姓) first, so that 单于 is read "Chanyu" and not 单 "Shan" + 于.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "OY",
    "司马": "SM",
    "上官": "SG",
    "诸葛": "ZG",
    "东方": "DF",
    "皇甫": "HF",
    "尉迟": "YC",
    "公孙": "GS",
    "慕容": "MR",
    "长孙": "ZS",
    "万俟": "MQ",
    "令狐": "LH",
    "宇文": "YW",
    "夏侯": "XH",
    "澹台": "TT",
    "单于": "CY",
    "司徒": "ST",
    "司空": "SK",
    "轩辕": "XY",
    "端木": "DM",
}

# Single-character surnames whose surname reading differs from pypinyin's default reading.
SURNAME_INITIALS: dict[str, str] = {
    "单": "S",  # Shàn
    "曾": "Z",  # Zēng
    "解": "X",  # Xiè
    "仇": "Q",  # Qiú
    "朴": "P",  # Piáo
    "区": "O",  # Ōu
    "查": "Z",  # Zhā
    "乐": "Y",  # Yuè
    "翟": "Z",  # Zhái
    "盖": "G",  # Gě
    "缪": "M",  # Miào
    "覃": "Q",  # Qín
    "召": "S",  # Shào
    "秘": "B",  # Bì
    "种": "C",  # Chóng
    "重": "C",  # Chóng
    "折": "S",  # Shé
    "员": "Y",  # Yùn
    "繁": "P",  # Pó
    "薄": "B",  # Bó
    "尉": "Y",  # Yù
    "句": "G",  # Gōu
    "长": "C",  # Cháng
    "祭": "Z",  # Zhài
    "隗": "W",  # Wěi
    "宿": "S",  # Sù
    "过": "G",  # Guō
    "能": "N",  # Nài
    "黑": "H",  # Hè
    "都": "D",  # Dū
    "柏": "B",  # Bǎi
    "任": "R",  # Rén
    "沈": "S",  # Shěn
    "洗": "X",  # Xiǎn
    "冼": "X",  # Xiǎn
    "相": "X",  # Xiàng
    "参": "S",  # Shēn
}

MAX_INITIALS = 20  # the width of Patient.name_initials


def _initials_of(text: str) -> str:
    letters: list[str] = []
    for syllable in lazy_pinyin(text, style=Style.FIRST_LETTER, errors=_latin_words):
        letters.extend(ch for ch in syllable if ch.isascii() and ch.isalpha())
    return "".join(letters).upper()


def _latin_words(chunk: str) -> list[str]:
    """Non-Han runs ("Tom Li", the middle dot of 阿依古丽·买买提): first letter of each word."""
    words = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in chunk).split()
    return [word[0] for word in words if word[0].isalpha()]


def name_initials(name: str) -> str:
    """Upper-case pinyin initials of a personal name, reading the surname as a surname."""
    name = (name or "").strip()
    if not name:
        return ""
    for surname, initials in COMPOUND_SURNAMES.items():
        if name.startswith(surname) and len(name) > len(surname):
            return (initials + _initials_of(name[len(surname) :]))[:MAX_INITIALS]
    first = SURNAME_INITIALS.get(name[0])
    if first is not None:
        return (first + _initials_of(name[1:]))[:MAX_INITIALS]
    return _initials_of(name)[:MAX_INITIALS]
