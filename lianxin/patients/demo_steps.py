"""Demo step "patient index": likely duplicates and an unidentified patient to resolve.

A dozen residents of the demo township (书洋镇) get a second record the way it happens: registered
again at their village clinic or at the county hospital with a homophone, a pinyin-only name, a
swapped birth date, a mistyped or missing ID number. Candidate matching puts each pair on the MPI
review queue with its evidence (``mpitown`` merges those of the township's side; pairs with a
county hospital record are proposed by ``mpi`` and confirmed by ``mpitown``). The emergency desk
registered an unidentified man (无名氏) forty minutes ago, waiting to be identified.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from lianxin.demo.accounts import DEMO_TOWNSHIP
from lianxin.demo.context import DemoCounty
from lianxin.demo.duplicates import Record, duplicate_of
from lianxin.demo.registry import register_step
from lianxin.patients.identity_actions import (
    do_register_unidentified_patient,
    queue_registration_candidates,
)
from lianxin.patients.matching import Probe, find_candidates
from lianxin.patients.models import ArrivalPlace, CandidateSource, Patient, PatientIdentifier

DUPLICATES = 12
MIN_RESIDENTS = 1000
STEP_ORDER = 800  # after every app has its records, before the inboxes are replayed (900)


def build_patient_index(county: DemoCounty) -> None:
    if county.options.residents < MIN_RESIDENTS:
        # A test-sized county keeps exactly its generated residents (the build tests count them).
        return
    rng = random.Random(county.options.seed + 15)
    township = county.townships[DEMO_TOWNSHIP]
    villages = [v for v in county.villages if v.parent_id == township.pk]
    hospital = county.county_hospital
    residents = list(
        Patient.objects.filter(
            identifiers__institution=township, birth_date__year__lt=1990
        ).order_by("pk")[:400]
    )
    if not residents or not villages:
        return
    for n, original in enumerate(rng.sample(residents, min(DUPLICATES, len(residents)))):
        copy, _kinds = duplicate_of(
            Record(
                name=original.name,
                sex=original.sex,
                birth_date=original.birth_date,
                id_number=original.id_number,
                phone=original.phone,
                address=original.address,
                division_code=original.division_code,
            ),
            rng,
            errors=1 + n % 2,
        )
        if copy.id_number and Patient.objects.filter(id_number=copy.id_number).exists():
            copy.id_number = None  # the number was typed right: registration would find it
        twin = Patient.objects.create(**copy.as_fields())
        where = hospital if n % 4 == 3 else rng.choice(villages)
        PatientIdentifier.objects.create(
            patient=twin,
            institution=where,
            value=f"{where.code}-D{n + 1}",  # not a generated form
        )
        found = [c for c in find_candidates(Probe.of(twin)) if c.patient.pk == original.pk]
        queue_registration_candidates(twin, found, CandidateSource.REGISTRATION)
    desk = county.accounts.get("emergency")
    if desk is not None:
        do_register_unidentified_patient(
            actor=desk[0],
            institution=desk[2],
            sex="1",
            estimated_age=55,
            place=ArrivalPlace.GREEN_CHANNEL,
            arrived_at=timezone.now() - datetime.timedelta(minutes=40),
            description="车祸伤，意识不清；灰色夹克、黑色裤子，右手腕有旧疤，由120从省道送来。",
        )


register_step("patient_index", build_patient_index, order=STEP_ORDER)
