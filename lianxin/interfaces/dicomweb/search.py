"""QIDO-RS (PS3.18 10.6): the query parameters of a search, checked, and the matches as DICOM
JSON (PS3.18 F.2) built from the index, without opening a file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset

from lianxin.interfaces.dicom import query
from lianxin.interfaces.dicom.values import CHARACTER_SET, person_name
from lianxin.interfaces.models import Instance, Series, Study

# The matching keys each level answers (PS3.18 Table 10.6.1-5, the ones the index holds).
STUDY_KEYS = frozenset(
    {
        "StudyInstanceUID",
        "StudyDate",
        "AccessionNumber",
        "ModalitiesInStudy",
        "PatientName",
        "PatientID",
        "StudyID",
        "StudyDescription",
    }
)
SERIES_KEYS = frozenset({"SeriesInstanceUID", "Modality", "SeriesNumber"})
INSTANCE_KEYS = frozenset({"SOPInstanceUID", "SOPClassUID", "InstanceNumber"})
LEVEL_KEYS = {
    "study": STUDY_KEYS,
    "series": STUDY_KEYS | SERIES_KEYS,
    "instance": STUDY_KEYS | SERIES_KEYS | INSTANCE_KEYS,
}
CONTROL = frozenset({"limit", "offset", "includefield", "fuzzymatching"})
MAX_LIMIT = query.MAX_MATCHES
_TAG = re.compile(r"^[0-9A-Fa-f]{8}$")
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


class BadSearch(ValueError):
    """A query parameter Lianxin cannot match on (answered 400 with the message)."""


@dataclass
class Search:
    keys: dict[str, str] = field(default_factory=dict)
    limit: int = MAX_LIMIT
    offset: int = 0
    include: set[str] = field(default_factory=set)
    include_all: bool = False


def is_uid(value: str) -> bool:
    return bool(value) and len(value) <= 64 and bool(_UID.match(value))


def keyword_of(name: str) -> str:
    """``PatientID`` or ``00100020`` → ``PatientID``; ``""`` for neither."""
    name = name.strip()
    if _TAG.match(name):
        try:
            return keyword_for_tag(int(name, 16)) or ""
        except (KeyError, ValueError):
            return ""
    return name if tag_for_keyword(name) is not None else ""


def _integer(name: str, value: str, *, low: int, high: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise BadSearch(f"{name} must be a whole number, not {value!r}") from exc
    if number < low or (high is not None and number > high):
        upper = f" and {high}" if high is not None else ""
        raise BadSearch(f"{name} must be between {low}{upper}")
    return number


def parse(params: Mapping[str, list[str]], level: str, fixed: Mapping[str, str]) -> Search:
    """The search of a QIDO-RS request at ``level`` (study, series, instance); ``fixed`` are
    the UIDs from the path. Unknown parameters and keys the level cannot match are refused."""
    allowed = LEVEL_KEYS[level]
    search = Search(keys=dict(fixed))
    for name, values in params.items():
        if name in CONTROL:
            if name == "limit":
                search.limit = _integer("limit", values[-1], low=0, high=MAX_LIMIT)
            elif name == "offset":
                search.offset = _integer("offset", values[-1], low=0)
            elif name == "fuzzymatching":
                if values[-1].lower() not in ("true", "false"):
                    raise BadSearch("fuzzymatching must be true or false")
            else:
                for value in values:
                    for item in filter(None, (v.strip() for v in value.split(","))):
                        if item == "all":
                            search.include_all = True
                            continue
                        keyword = keyword_of(item)
                        if not keyword:
                            raise BadSearch(f"includefield {item!r} is not a DICOM attribute")
                        search.include.add(keyword)
            continue
        keyword = keyword_of(name)
        if not keyword:
            raise BadSearch(f"{name!r} is neither a DICOM attribute nor a QIDO-RS parameter")
        if keyword not in allowed:
            raise BadSearch(
                f"{keyword} is not a matching key of this search; "
                f"keys: {', '.join(sorted(allowed))}"
            )
        if keyword in fixed:
            raise BadSearch(f"{keyword} is already given in the path")
        value = values[-1].strip()
        if keyword.endswith("UID"):
            uids = [v for v in value.split("\\") if v]
            if not uids or not all(is_uid(v) for v in uids):
                raise BadSearch(f"{keyword} must be a list of UIDs, not {value!r}")
        if keyword in ("SeriesNumber", "InstanceNumber"):
            _integer(keyword, value, low=-(2**31), high=2**31 - 1)
        search.keys[keyword] = value
    return search


def run(access: Any, level: str, search: Search) -> tuple[list[Any], bool]:
    """The matching rows of one page, and whether more matched than the page holds."""
    try:
        if level == "study":
            qs = query.studies(access, search.keys)
        elif level == "series":
            qs = query.series(access, search.keys)
        else:
            qs = query.instances(access, search.keys)
        rows = list(qs[search.offset : search.offset + search.limit + 1])
    except query.BadQuery as exc:
        raise BadSearch(str(exc)) from exc
    return rows[: search.limit], len(rows) > search.limit


def pn(text: str) -> str:
    """A PN value from the index's readable name: Chinese characters as the ideographic group."""
    text = (text or "").strip()
    if not text:
        return ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return person_name(text.replace(" ", ""))
    return text.replace(" ", "^")


def _values(row: Any) -> dict[str, Any]:
    if isinstance(row, Study):
        values = query.study_attributes(row)
    elif isinstance(row, Series):
        values = {**query.study_attributes(row.study), **query.series_attributes(row)}
    else:
        assert isinstance(row, Instance)
        values = {
            **query.study_attributes(row.series.study),
            **query.series_attributes(row.series),
            **query.instance_attributes(row),
        }
    values["PatientName"] = pn(str(values.get("PatientName") or ""))
    return values


# What each level answers by default (PS3.18 Table 10.6.3-3/4/5, those the index holds).
DEFAULT_FIELDS = {
    "study": (
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ModalitiesInStudy",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyInstanceUID",
        "StudyID",
        "StudyDescription",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
    ),
    "series": (
        "StudyInstanceUID",
        "Modality",
        "SeriesDescription",
        "SeriesInstanceUID",
        "SeriesNumber",
        "BodyPartExamined",
        "NumberOfSeriesRelatedInstances",
    ),
    "instance": (
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPClassUID",
        "SOPInstanceUID",
        "InstanceNumber",
        "Rows",
        "Columns",
        "NumberOfFrames",
    ),
}


def to_json(rows: Iterable[Any], level: str, search: Search, url_for: Any) -> list[dict]:
    """The DICOM JSON of the matches; ``url_for(row)`` gives each one's RetrieveURL."""
    out = []
    for row in rows:
        values = _values(row)
        wanted = list(DEFAULT_FIELDS[level])
        if search.include_all:
            wanted = list(values)
        else:
            wanted += [k for k in sorted(search.include | set(search.keys)) if k not in wanted]
        ds = Dataset()
        ds.SpecificCharacterSet = CHARACTER_SET
        for keyword in wanted:
            value = values.get(keyword)
            tag = tag_for_keyword(keyword)
            if tag is None:
                continue
            if value in (None, "", []):
                ds.add_new(tag, dictionary_VR(tag), None)
            else:
                setattr(ds, keyword, value)
        ds.RetrieveURL = url_for(row)
        out.append(ds.to_json_dict())
    return out
