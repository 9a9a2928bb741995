"""Pinyin initials of a patient's name (张三 → ``ZS``), the way registration desks search.

pypinyin reads a name as ordinary words, so a surname that is read differently as a surname comes
out wrong (单 is "dan" in a word but "Shan" as a surname). The tables below hold the surname
readings; the source is the surname entries of 现代汉语词典 (第7版) and 《百家姓》.
"""

from __future__ import annotations

import functools
import unicodedata

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


# Full readings of the surnames above, for the sound key of a name (same sources).
COMPOUND_SURNAME_READINGS: dict[str, str] = {
    "欧阳": "ouyang", "司马": "sima", "上官": "shangguan", "诸葛": "zhuge", "东方": "dongfang",
    "皇甫": "huangfu", "尉迟": "yuchi", "公孙": "gongsun", "慕容": "murong", "长孙": "zhangsun",
    "万俟": "moqi", "令狐": "linghu", "宇文": "yuwen", "夏侯": "xiahou", "澹台": "tantai",
    "单于": "chanyu", "司徒": "situ", "司空": "sikong", "轩辕": "xuanyuan", "端木": "duanmu",
}  # fmt: skip
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "乐": "yue", "翟": "zhai", "盖": "ge", "缪": "miao", "覃": "qin", "召": "shao", "秘": "bi",
    "种": "chong", "重": "chong", "折": "she", "员": "yun", "繁": "po", "薄": "bo", "尉": "yu",
    "句": "gou", "长": "chang", "祭": "zhai", "隗": "wei", "宿": "su", "过": "guo", "能": "nai",
    "黑": "he", "都": "du", "柏": "bai", "任": "ren", "沈": "shen", "洗": "xian", "冼": "xian",
    "相": "xiang", "参": "shen",
}  # fmt: skip

# 模糊音: the sounds that speakers of southern Mandarin and Min (as in a Fujian county) do not tell
# apart, so that a clerk writes one for the other. The pairs are the fuzzy-pinyin options of the
# common Chinese input methods (平翘舌 z/zh c/ch s/sh, 鼻边音 n/l, 唇齿音 f/h, 前后鼻音 an/ang
# en/eng in/ing); applied to initials and finals of each syllable.
FUZZY_INITIALS: tuple[tuple[str, str], ...] = (
    ("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"),
)  # fmt: skip
FUZZY_FINALS: tuple[tuple[str, str], ...] = (
    ("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"),
)  # fmt: skip


def _fold_syllable(syllable: str) -> str:
    syllable = syllable.replace("ü", "u").replace("v", "u")
    for long, short in FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in FUZZY_FINALS:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


def name_syllables(name: str) -> list[str]:
    """Toneless pinyin of a name, one item per syllable, the surname read as a surname.

    A name typed in Latin letters ("Zhang Wei", "ZHANGWEI") gives its words in lower case, so that
    a pinyin-only record meets the one in characters (one item per word, not per syllable).
    """
    name = "".join((name or "").split(" ")).strip()
    if not name:
        return []
    head: list[str] = []
    for surname, reading in COMPOUND_SURNAME_READINGS.items():
        if name.startswith(surname) and len(name) > len(surname):
            head, name = [reading], name[len(surname) :]
            break
    else:
        reading = SURNAME_READINGS.get(name[0])
        if reading is not None and len(name) > 1:
            head, name = [reading], name[1:]
    out = list(head)
    for chunk in lazy_pinyin(name, errors=lambda text: [text]):
        for word in "".join(ch if ch.isascii() and ch.isalpha() else " " for ch in chunk).split():
            out.append(word.lower())
    return out


def name_pinyin(name: str) -> str:
    """``张伟`` → ``zhangwei``: homophones (章伟, 张玮) and traditional forms (張偉) share it."""
    return "".join(name_syllables(name))


def name_sound(name: str) -> str:
    """The pinyin with the fuzzy sounds folded (``zhangwei`` → ``zanwei``): the blocking key that
    finds a name written with a character of a similar sound."""
    syllables: list[str] = []
    for item in name_syllables(name):
        syllables.extend(_segment(item))
    return "".join(_fold_syllable(s) for s in syllables)[:40]


@functools.cache
def _all_syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin's dictionary knows (about 400)."""
    from pypinyin.pinyin_dict import pinyin_dict

    out: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = unicodedata.normalize("NFKD", reading)
            out.add("".join(ch for ch in plain if ch.isascii() and ch.isalpha()).lower())
    out.discard("")
    return frozenset(out)


def _segment(word: str) -> list[str]:
    """Split a run of pinyin typed without spaces (``zhangwei``) into syllables, fewest first;
    a word that is not pinyin stays whole."""
    known = _all_syllables()
    if word in known or not word.isascii():
        return [word]
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            if head is not None and word[start:end] in known:
                candidate = [*head, word[start:end]]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[-1] or [word]
