"""Batch linkage across the whole index with Splink on DuckDB (Fellegi–Sunter, trained by EM).

The model is trained on the county's own patients each run: u probabilities from random pairs,
m probabilities by expectation–maximisation on two blocking passes (same birth date and sex;
same name sound), so that each field's weight reflects how this county's records really differ.
Pairs above the review weight go to the MPI administrators' queue (``DuplicateCandidate``) with
each field's level and weight as evidence.

Splink is an optional extra (``pip install 'lianxin[linkage]'``): the platform runs without it,
and ``lianxin mpi link`` says how to install it.
"""

from __future__ import annotations

import logging
import math
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lianxin.patients.matching import _address_stem, clean_id_text
from lianxin.patients.models import Patient
from lianxin.patients.pinyin import name_pinyin
from lianxin.patients.rules import MATCH_REVIEW_WEIGHT

INSTALL_HINT = "pip install 'lianxin[linkage]'  (Splink and DuckDB)"


class LinkageUnavailable(RuntimeError):
    """Splink is not installed."""


# Each comparison: the field name shown to the reviewer, and its levels from best to worst as
# (level name, SQL condition). Splink numbers the levels so that the first has the highest gamma.
COMPARISONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "id_number",
        (
            ("exact", "id17_l = id17_r"),
            ("near", "damerau_levenshtein(id17_l, id17_r) <= 1"),
        ),
    ),
    (
        "name",
        (
            ("exact", "name_l = name_r"),
            ("pinyin", "name_pinyin_l = name_pinyin_r"),
            ("sound", "name_sound_l = name_sound_r"),
            ("similar", "jaro_winkler_similarity(name_pinyin_l, name_pinyin_r) >= 0.92"),
        ),
    ),
    ("sex", (("exact", "sex_l = sex_r"),)),
    (
        "birth_date",
        (
            ("exact", "birth_date_l = birth_date_r"),
            (
                "swapped",
                "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) AND "
                "substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) AND "
                "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
            ),
            ("typo", "damerau_levenshtein(birth_date_l, birth_date_r) <= 1"),
        ),
    ),
    ("phone", (("exact", "phone_l = phone_r"),)),
    ("village", (("exact", "village_l = village_r"),)),
)
NULL_COLUMNS = {
    "id_number": "id17",
    "name": "name",
    "sex": "sex",
    "birth_date": "birth_date",
    "phone": "phone",
    "village": "village",
}
BLOCKS = (
    ("name_sound",),
    ("birth_date", "sex"),
    ("phone",),
    ("id_tail",),
)


def _splink():
    try:
        import splink  # noqa: F401
        from splink import Linker, SettingsCreator, block_on
        from splink import comparison_level_library as cll
        from splink import comparison_library as cl
        from splink.backends.duckdb import DuckDBAPI
    except ImportError as exc:  # pragma: no cover - exercised where the extra is missing
        raise LinkageUnavailable(INSTALL_HINT) from exc
    return Linker, SettingsCreator, block_on, cll, cl, DuckDBAPI


def patient_rows(queryset=None) -> dict[str, list[Any]]:
    """The index as columns for Splink: active (not merged), not unidentified patients."""
    queryset = queryset if queryset is not None else Patient.objects.all()
    rows = queryset.filter(merged_into__isnull=True, is_unidentified=False).values_list(
        "pk", "name", "name_sound", "sex", "birth_date", "id_number", "phone", "address",
        "division_code",
    )  # fmt: skip
    columns: dict[str, list[Any]] = {
        key: []
        for key in (
            "unique_id", "name", "name_pinyin", "name_sound", "sex", "birth_date", "id17",
            "id_tail", "phone", "village",
        )
    }  # fmt: skip
    pinyin_cache: dict[str, str] = {}
    for pk, name, sound, sex, birth, number, phone, address, division in rows.iterator(
        chunk_size=5000
    ):
        pinyin = pinyin_cache.get(name)
        if pinyin is None:
            pinyin = pinyin_cache[name] = name_pinyin(name)
        number = clean_id_text(number)
        columns["unique_id"].append(pk)
        columns["name"].append(name)
        columns["name_pinyin"].append(pinyin or None)
        columns["name_sound"].append(sound or None)
        columns["sex"].append(sex if sex in {"1", "2"} else None)
        columns["birth_date"].append(birth.isoformat() if birth else None)
        columns["id17"].append(number[:17] or None)
        columns["id_tail"].append(number[6:17] or None)
        columns["phone"].append(phone or None)
        village = division if len(division or "") == 12 else _address_stem(address)
        columns["village"].append(village or None)
    return columns


@dataclass
class LinkageResult:
    pairs: list[tuple[int, int, float, float, list[dict[str, Any]]]] = field(default_factory=list)
    records: int = 0
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    weights: dict[str, dict[str, float]] = field(default_factory=dict)


def _settings(SettingsCreator, block_on, cll, cl):
    comparisons = []
    for name, levels in COMPARISONS:
        column = NULL_COLUMNS[name]
        comparisons.append(
            cl.CustomComparison(
                output_column_name=name,
                comparison_levels=[
                    cll.NullLevel(column),
                    *(cll.CustomLevel(sql, label_for_charts=label) for label, sql in levels),
                    cll.ElseLevel(),
                ],
            )
        )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in BLOCKS],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


def _level_name(comparison: str, gamma: int) -> str:
    levels = COMPARISONS[[n for n, _ in COMPARISONS].index(comparison)][1]
    if gamma < 0:
        return ""
    if gamma == 0:
        return "different"
    return levels[len(levels) - gamma][0]


def run_linkage(
    columns: dict[str, list[Any]] | None = None,
    *,
    min_weight: float = MATCH_REVIEW_WEIGHT,
    seed: int = 1,
    max_u_pairs: float = 1e6,
) -> LinkageResult:
    """Train on the index and predict the likely duplicate pairs above ``min_weight``."""
    Linker, SettingsCreator, block_on, cll, cl, DuckDBAPI = _splink()
    started = time.perf_counter()
    columns = columns if columns is not None else patient_rows()
    result = LinkageResult(records=len(columns["unique_id"]))
    if result.records < 2:
        return result
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    db_api = DuckDBAPI(connection)
    table = db_api.register(columns, table_name="patients")
    linker = Linker(table, _settings(SettingsCreator, block_on, cll, cl), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "birth_date", "sex")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_u_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date", "sex"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name_sound"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_weight=min_weight)
    result.weights = _trained_weights(linker)
    names = [name for name, _ in COMPARISONS]
    for row in _records(predictions):
        evidence = []
        for name in names:
            weight = row.get(f"mw_{name}")
            if weight is None or weight == 0:
                continue  # the field is missing on one side
            levels = result.weights.get(name, {})
            level = min(levels, key=lambda key: abs(levels[key] - weight), default="")
            evidence.append({"field": name, "level": level, "weight": round(float(weight), 2)})
        result.pairs.append(
            (
                int(row["unique_id_l"]),
                int(row["unique_id_r"]),
                float(row["match_weight"]),
                float(row["match_probability"]),
                evidence,
            )
        )
    result.seconds = time.perf_counter() - started
    result.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _records(predictions) -> Iterator[dict[str, Any]]:
    # Only the pairs above the review weight come back, a few per thousand residents.
    yield from predictions.as_record_list()


def _trained_weights(linker) -> dict[str, dict[str, float]]:
    """Each field's trained weight per level (log2 of m/u), for the report."""
    out: dict[str, dict[str, float]] = {}
    for comparison in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comparison.comparison_levels if not lvl.is_null_level]
        for level in levels:
            if level.m_probability and level.u_probability:
                name = _level_name(comparison.output_column_name, level.comparison_vector_value)
                out.setdefault(comparison.output_column_name, {})[name] = round(
                    math.log2(level.m_probability / level.u_probability), 2
                )
    return out
