"""Demo step: the county's road network, a surgeon stationed at the far township, a year of cases.

The network is the synthetic hilly county of ``synthetic.py``, generated for the demo's seed and
imported like a real extract. The pattern of the seed holds: the far villages of 书洋镇 are about
an hour from the county hospital and a quarter of an hour from the 书洋镇 centre, where a
surgeon of the county hospital is stationed (with the centre's operating room, the chainsaw
injury is treated there). A year of green-channel cases gives the savings page its figures.
Like the other steps this is fixture generation: rows are written directly.
"""

from __future__ import annotations

import datetime
import random
import tempfile
from pathlib import Path

from django.utils import timezone
from faker import Faker

from lianxin.demo.accounts import DEMO_TOWNSHIP
from lianxin.demo.context import DemoCounty
from lianxin.demo.registry import register_step
from lianxin.emergency import synthetic
from lianxin.emergency.actions import _saved, advice_snapshot
from lianxin.emergency.advice import AdviceError, Origin, advise
from lianxin.emergency.models import GreenChannelCase, RoadNetwork
from lianxin.emergency.roads import read_osm
from lianxin.emergency.tasks import rebuild_now
from lianxin.network.models import Capability
from lianxin.outreach.actions.postings import stationing_min_end
from lianxin.outreach.models import Posting
from lianxin.outreach.rules import PostingKind
from lianxin.workforce.models import Credential, Practitioner, Profession, Title

STEP_ORDER = 150  # after outreach (130): its postings decide who is where
EXTENT = synthetic.Extent(south=24.40, west=116.97, north=24.88, east=117.70)
CASES = 40
CONDITION_MIX = (
    ("severe_trauma", 0.35),
    ("stemi", 0.25),
    ("stroke", 0.2),
    ("obstetric_haemorrhage", 0.1),
    ("paediatric", 0.1),
)


def build_roads(county: DemoCounty) -> RoadNetwork:
    hub = county.county_hospital
    places = synthetic.places_from(county.townships)
    townships = {t.pk: t for t in county.townships}
    for village in county.villages:
        township = townships.get(village.parent_id)
        if township is not None:
            places.append(
                synthetic.Place(
                    float(village.latitude),
                    float(village.longitude),
                    "tertiary",
                    start=(float(township.latitude), float(township.longitude)),
                )
            )
    places.append(
        synthetic.Place(
            float(county.tertiary.latitude), float(county.tertiary.longitude), "primary"
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic.generate(
            Path(tmp) / "county.osm",
            EXTENT,
            (float(hub.latitude), float(hub.longitude)),
            places,
            seed=county.options.seed,
        )
        graph = read_osm(path)
    south, west, north, east = graph.bounds()
    network = RoadNetwork.objects.create(
        community=county.county_community,
        source_name="南靖县合成道路网（演示）.osm",
        licence=synthetic.LICENCE,
        imported_at=timezone.now(),
        nodes=graph.nodes,
        edges=graph.edges,
        oneway_segments=graph.oneway_segments,
        south=south,
        west=west,
        north=north,
        east=east,
        graph_data=graph.to_bytes(),
    )
    return rebuild_now(network.pk)


def station_surgeon(county: DemoCounty) -> Posting:
    """A trauma surgeon of the county hospital, stationed at 书洋镇 since 75 days ago.

    A surgeon of its own for the demo's story, so that no other step's roster changes."""
    faker = Faker("zh_CN")
    faker.seed_instance(county.options.seed + 14)
    today = county.options.today
    township = county.townships[DEMO_TOWNSHIP]
    hospital = county.county_hospital
    surgeon = Practitioner.objects.create(
        name=faker.name_male(),
        sex="M",
        profession=Profession.PHYSICIAN,
        title=Title.ASSOCIATE_CHIEF,
        licence_number=f"110{hospital.division_code[:6]}8{county.options.seed % 100000:05d}",
        institution=hospital,
        department=county.departments.get((hospital.pk, "PWK")),
    )
    county.practitioners.append(surgeon)
    trauma = Capability.objects.get(code="trauma_surgery")
    Credential.objects.create(
        practitioner=surgeon,
        capability=trauma,
        granted_on=today - datetime.timedelta(days=3 * 365),
        granted_by=hospital,
    )
    start = today - datetime.timedelta(days=75)
    return Posting.objects.create(
        practitioner=surgeon,
        home_institution=hospital,
        host_institution=township,
        host_department=county.departments.get((township.pk, "WK")),
        kind=PostingKind.STATIONING,
        starts_on=start,
        ends_on=stationing_min_end(start) + datetime.timedelta(days=120),
        role_at_host="外科驻点主任",
        purpose="驻点开展严重创伤急救与损伤控制手术",
    )


def far_village(county: DemoCounty, network: RoadNetwork):
    """The 书洋镇 village furthest by road from the county hospital: the chainsaw case's."""
    from lianxin.emergency import tables

    loaded = tables.load(network)
    column = loaded.table.column(county.county_hospital.pk)
    township = county.townships[DEMO_TOWNSHIP]
    best, far = None, -1.0
    for village in county.villages:
        if village.parent_id != township.pk:
            continue
        snap = loaded.table.snap(loaded.graph, float(village.latitude), float(village.longitude))
        minutes = float(loaded.table.times[snap.node, column])
        if snap.metres <= 2000 and minutes > far:
            best, far = village, minutes
    return best


def build_cases(county: DemoCounty, network: RoadNetwork) -> int:
    rng = random.Random(county.options.seed * 13 + 14)
    desk = county.county_hospital
    user = county.accounts.get("emergency", (None,))[0]
    today = county.options.today
    township = county.townships[DEMO_TOWNSHIP]
    near = [v for v in county.villages if v.parent_id == township.pk]
    others = [v for v in county.villages if v.parent_id != township.pk]
    networks = RoadNetwork.objects.filter(pk=network.pk)
    rows = []
    chainsaw = far_village(county, network)
    for n in range(CASES + 1):
        village = rng.choice(near if n % 3 == 0 else others)
        condition = rng.choices(
            [c for c, _ in CONDITION_MIX], weights=[w for _, w in CONDITION_MIX]
        )[0]
        day = today - datetime.timedelta(days=rng.randint(2, 364))
        if n == CASES and chainsaw is not None:
            # Yesterday's: a worker's neck cut by a chainsaw in the far village.
            village, condition, day = chainsaw, "severe_trauma", today - datetime.timedelta(days=1)
        call = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(rng.randint(0, 23), rng.randint(0, 59)))
        )
        origin = Origin(float(village.latitude), float(village.longitude), village.name, village)
        try:
            advice = advise(origin, condition, networks=networks, at=call)
        except AdviceError:
            continue
        if advice.advised is None:
            continue
        chosen = advice.advised
        practitioner = chosen.credited
        departure = call + datetime.timedelta(minutes=rng.randint(6, 14))
        arrival = departure + datetime.timedelta(
            minutes=chosen.travel_minutes * rng.uniform(0.9, 1.2)
        )
        treatment = arrival + datetime.timedelta(
            minutes=chosen.treatment.door_minutes * rng.uniform(0.6, 1.1)
        )
        case = GreenChannelCase(
            desk_institution=desk,
            patient_description=rng.choice(
                ["男，约50岁", "女，约40岁", "男，约30岁", "女，约65岁"]
            ),
            condition=condition,
            capability=chosen.treatment.capability,
            village=village,
            place=village.name,
            latitude=origin.lat,
            longitude=origin.lon,
            advised=chosen.site,
            advised_minutes=round(chosen.minutes, 1),
            default_destination=advice.default.site if advice.default else None,
            default_minutes=round(advice.default.minutes, 1) if advice.default else None,
            chosen=chosen.site,
            chosen_minutes=round(chosen.minutes, 1),
            advice=advice_snapshot(advice),
            onset_at=call - datetime.timedelta(minutes=rng.randint(5, 60)),
            call_at=call,
            departure_at=departure,
            arrival_at=arrival,
            treatment_at=treatment,
            opened_by=user,
        )
        if practitioner is not None:
            from lianxin.workforce.models import Practitioner

            case.credited_practitioner = Practitioner.objects.filter(
                external_id=practitioner.practitioner_id
            ).first()
            case.credited_posting = Posting.objects.filter(
                external_id=practitioner.posting_id
            ).first()
        case.minutes_saved = _saved(case)
        rows.append(case)
    GreenChannelCase.objects.bulk_create(rows)
    return len(rows)


def build_emergency(county: DemoCounty) -> None:
    if county.county_community is None or county.county_hospital is None:
        return
    network = build_roads(county)
    if len(county.townships) > DEMO_TOWNSHIP:
        station_surgeon(county)
    build_cases(county, network)


register_step("emergency", build_emergency, order=STEP_ORDER)
