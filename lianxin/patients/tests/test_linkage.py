"""Batch linkage with Splink on DuckDB: trained on the index by EM, pairs queued with evidence."""

from __future__ import annotations

import datetime
import random
from io import StringIO

import pytest
from django.core.management import call_command

from lianxin.core.idnumber import make_id_number
from lianxin.demo.duplicates import Record, duplicate_of
from lianxin.patients.models import DuplicateCandidate, Patient
from lianxin.patients.pinyin import name_sound

pytestmark = pytest.mark.django_db
pytest.importorskip("splink")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def _population(rng: random.Random, count: int) -> list[Record]:
    out = []
    for i in range(count):
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(25_000))
        sex = "1" if i % 2 else "2"
        out.append(
            Record(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                sex=sex,
                birth_date=birth,
                id_number=make_id_number("350426", birth, 2 * i + int(sex == "1") + 2),
                phone=f"139{rng.randrange(10**8):08d}",
                address=f"福建省三明市尤溪县城关镇{rng.randrange(20)}村{rng.randrange(99)}号",
            )
        )
    return out


def test_the_batch_linkage_queues_the_injected_duplicates_ranked_with_evidence():
    rng = random.Random(7)
    people = _population(rng, 400)
    truth = set()
    saved = Patient.objects.bulk_create(
        [Patient(name_sound=name_sound(p.name), **p.as_fields()) for p in people]
    )
    for original in saved[:12]:
        copy, _kinds = duplicate_of(people[saved.index(original)], rng, errors=2)
        if copy.id_number and Patient.objects.filter(id_number=copy.id_number).exists():
            copy.id_number = None
        twin = Patient.objects.create(**copy.as_fields())
        truth.add((original.pk, twin.pk))
    out = StringIO()
    call_command("mpi", "link", "--max-u-pairs", "30000", stdout=out)
    queued = {(c.first_id, c.second_id) for c in DuplicateCandidate.objects.all()}
    found = queued & truth
    assert len(found) >= 10, out.getvalue()
    assert len(queued) <= 2 * len(truth)
    best = DuplicateCandidate.objects.order_by("-score").first()
    assert {e["field"] for e in best.evidence} >= {"name", "birth_date"}
    assert "patients compared" in out.getvalue()
