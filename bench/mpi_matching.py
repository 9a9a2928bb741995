"""Candidate matching and batch linkage measured on an evaluation set with known truth.

    .venv/bin/python bench/mpi_matching.py                           # 300,000 residents
    .venv/bin/python bench/mpi_matching.py --residents 20000 --probes 200 --no-batch   # quick
    DATABASE_URL=postgres://... .venv/bin/python bench/mpi_matching.py   # on PostgreSQL (EMPTIED)

Residents are drawn with the demo's own generator of names (``lianxin.demo.residents._Names``),
birth dates, ID numbers, phones and villages, and written to the database (SQLite in a temporary
file unless ``DATABASE_URL`` is given). Second records of the same person are made with
``lianxin.demo.duplicates.duplicate_of`` (homophones, pinyin-only names, day/month swaps, year
typos, one wrong ID digit, swapped ID digits, missing ID numbers, missing or changed phones) at
1, 2 and 3 slips per record.

Candidate matching (registration): each probe is either a duplicate of a resident (its truth) or
a new person; the top candidate at or above the review weight counts as the answer. Precision,
recall and F1 against the exact-ID baseline, and the latency of ``find_candidates`` (p50/p95).

Batch linkage (Splink on DuckDB, ``lianxin[linkage]``): the index plus the injected duplicates;
pairs above the review weight against the truth, the queue size against the true duplicate
count, the time and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import datetime
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import describe_ms, machine, server_environment, setup_django


def _population(count: int, seed: int):
    from lianxin.core.idnumber import make_id_number
    from lianxin.demo.duplicates import Record
    from lianxin.demo.residents import _Names

    rng = random.Random(seed)
    names = _Names()
    today = datetime.date(2026, 12, 1).toordinal()
    used: set[str] = set()
    towns = ["城关镇", "西城镇", "洋中镇", "管前镇", "梅仙镇", "坂面镇", "新阳镇", "书洋镇"]
    people = []
    while len(people) < count:
        sex = rng.choice("12")
        birth = datetime.date.fromordinal(today - rng.randrange(1, 95 * 365))
        order = rng.randrange(1, 500) * 2 - (1 if sex == "1" else 0)
        number = make_id_number("350426", birth, order)
        if number in used:
            continue
        used.add(number)
        village = rng.randrange(12)
        people.append(
            Record(
                name=names.draw(rng, sex),
                sex=sex,
                birth_date=birth,
                id_number=number,
                phone="" if rng.random() < 0.15 else f"13{rng.randrange(10**9):09d}",
                address=(
                    f"福建省三明市尤溪县{rng.choice(towns)}{village + 1}村{rng.randrange(1, 200)}号"
                ),
            )
        )
    return people


def _write(people) -> list[int]:
    from lianxin.patients.models import Patient
    from lianxin.patients.pinyin import name_initials, name_sound

    cache: dict[str, tuple[str, str]] = {}
    pks: list[int] = []
    for start in range(0, len(people), 5000):
        batch = []
        for person in people[start : start + 5000]:
            keys = cache.get(person.name)
            if keys is None:
                keys = cache[person.name] = (name_initials(person.name), name_sound(person.name))
            batch.append(Patient(name_initials=keys[0], name_sound=keys[1], **person.as_fields()))
        pks.extend(p.pk for p in Patient.objects.bulk_create(batch))
    return pks


def _prf(tp: int, fp: int, fn: int) -> str:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"


def _matching(people, pks, probes: int, errors: int, seed: int) -> None:
    from lianxin.demo.duplicates import duplicate_of
    from lianxin.patients.matching import Probe, find_candidates

    rng = random.Random(seed + errors)
    fresh = _population(probes // 2, seed + 1000 + errors)
    by_id = {p.id_number for p in people}
    cases = []
    for index in rng.sample(range(len(people)), probes - len(fresh)):
        copy, _kinds = duplicate_of(people[index], rng, errors)
        cases.append((copy, pks[index]))
    cases += [(person, None) for person in fresh if person.id_number not in by_id]
    rng.shuffle(cases)
    ours = [0, 0, 0]  # tp, fp, fn
    base = [0, 0, 0]
    times = []
    id_to_pk = {p.id_number: pk for p, pk in zip(people, pks, strict=True)}
    for record, truth in cases:
        probe = Probe(
            name=record.name,
            sex=record.sex,
            birth_date=record.birth_date,
            id_number=record.id_number or "",
            phone=record.phone,
            address=record.address,
        )
        started = time.perf_counter()
        found = find_candidates(probe, limit=1)
        times.append(time.perf_counter() - started)
        answer = found[0].patient.pk if found else None
        baseline = id_to_pk.get(record.id_number) if record.id_number else None
        for tally, got in ((ours, answer), (base, baseline)):
            if got is not None and got == truth:
                tally[0] += 1
            elif got is not None:
                tally[1] += 1
                if truth is not None:
                    tally[2] += 1
            elif truth is not None:
                tally[2] += 1
    dupes = sum(1 for _, t in cases if t is not None)
    print(f"  {errors} slip(s) per duplicate: {dupes} duplicates, {len(cases) - dupes} new people")
    print(f"    candidate matching   {_prf(*ours)}")
    print(f"    exact-ID baseline    {_prf(*base)}")
    print(f"    find_candidates      {describe_ms(times)}")


def _batch(people, errors: int, share: float, seed: int, max_u_pairs: float) -> None:
    from lianxin.demo.duplicates import duplicate_of
    from lianxin.patients.linkage import run_linkage
    from lianxin.patients.matching import _address_stem, clean_id_text
    from lianxin.patients.pinyin import name_pinyin, name_sound
    from lianxin.patients.rules import MATCH_REVIEW_WEIGHT

    rng = random.Random(seed + 7 * errors)
    records = list(people)
    truth = set()
    for index in rng.sample(range(len(people)), int(len(people) * share)):
        copy, _kinds = duplicate_of(people[index], rng, errors)
        records.append(copy)
        truth.add((index, len(records) - 1))
    columns: dict[str, list] = {
        key: []
        for key in (
            "unique_id", "name", "name_pinyin", "name_sound", "sex", "birth_date", "id17",
            "id_tail", "phone", "village",
        )
    }  # fmt: skip
    cache: dict[str, tuple[str, str]] = {}
    for i, r in enumerate(records):
        keys = cache.get(r.name)
        if keys is None:
            keys = cache[r.name] = (name_pinyin(r.name), name_sound(r.name))
        number = clean_id_text(r.id_number)
        columns["unique_id"].append(i)
        columns["name"].append(r.name)
        columns["name_pinyin"].append(keys[0])
        columns["name_sound"].append(keys[1])
        columns["sex"].append(r.sex)
        columns["birth_date"].append(r.birth_date.isoformat())
        columns["id17"].append(number[:17] or None)
        columns["id_tail"].append(number[6:17] or None)
        columns["phone"].append(r.phone or None)
        columns["village"].append(_address_stem(r.address) or None)
    result = run_linkage(columns, min_weight=MATCH_REVIEW_WEIGHT, max_u_pairs=max_u_pairs)
    found = {(min(a, b), max(a, b)) for a, b, *_ in result.pairs}
    tp = len(found & truth)
    ids: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        if r.id_number:
            ids.setdefault(r.id_number, []).append(i)
    baseline = {(g[0], g[1]) for g in ids.values() if len(g) > 1}
    btp = len(baseline & truth)
    print(
        f"  {errors} slip(s): {len(records):,} records, {len(truth):,} true duplicate pairs; "
        f"{result.seconds:.0f} s, peak memory {result.peak_memory_mb:,.0f} MB"
    )
    print(f"    batch linkage        {_prf(tp, len(found) - tp, len(truth) - tp)}")
    print(f"    review queue         {len(found):,} pairs = {len(found) / len(truth):.2f}× true")
    print(f"    exact-ID baseline    {_prf(btp, len(baseline) - btp, len(truth) - btp)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=300_000)
    parser.add_argument("--probes", type=int, default=400)
    parser.add_argument("--errors", default="1,2,3", help="slips per duplicate, e.g. 1,2,3")
    parser.add_argument("--share", type=float, default=0.02, help="duplicates per resident")
    parser.add_argument("--no-batch", action="store_true")
    parser.add_argument("--batch-residents", type=int, default=0, help="default: --residents")
    parser.add_argument("--max-u-pairs", type=float, default=1e6)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    import os

    data_dir = tempfile.mkdtemp(prefix="lianxin-bench-mpi-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir}/bench.sqlite3"
    setup_django(server_environment(url, data_dir))
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"Machine: {machine()} — shared with other work, figures are noisy")
    print(f"Database: {connection.vendor}")
    started = time.perf_counter()
    people = _population(args.residents, args.seed)
    pks = _write(people)
    print(f"{len(pks):,} residents written in {time.perf_counter() - started:.0f} s")
    errors = [int(x) for x in args.errors.split(",") if x]
    print("Candidate matching at registration (top candidate at or above the review weight):")
    for e in errors:
        _matching(people, pks, args.probes, e, args.seed)
    if args.no_batch:
        return
    print("Batch linkage (Splink on DuckDB, trained by EM on these records):")
    subset = people[: args.batch_residents or len(people)]
    for e in errors:
        _batch(subset, e, args.share, args.seed, args.max_u_pairs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of the whole run: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
