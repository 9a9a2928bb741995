"""A small hilly county for the advice tests, on the shared personas' community A.

尤溪县总医院 (county_a) lies in the east; 城关镇卫生院 (township_a) in the west hills, 15-odd
minutes from 东门村 (village_a) at the western edge, the county hospital about an hour away.
A reservoir in the south has no road; 水库村 lies in its middle.

Who can do what on the frozen day (2026-06-15):
- trauma surgery: 李刚 on the county staff; 张伟 of the county hospital stationed at the
  township until 2026-06-30, where the operating room is (no blood bank there);
- stroke thrombolysis: 王医生 at the township with its CT; 陈静 at the county with two CTs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from lianxin.core.models import User
from lianxin.emergency import synthetic, tables
from lianxin.emergency.actions import do_import_road_network
from lianxin.emergency.models import RoadNetwork
from lianxin.emergency.tasks import rebuild_now
from lianxin.network.models import (
    Capability,
    Equipment,
    EquipmentStatus,
    EquipmentStatusChange,
    Institution,
    Tier,
)
from lianxin.outreach.models import Posting
from lianxin.outreach.rules import PostingKind
from lianxin.testing.factories import (
    InstitutionFactory,
    MembershipFactory,
    PractitionerFactory,
    UserFactory,
    add_member,
)
from lianxin.testing.personas import Personas
from lianxin.workforce.models import Credential, Practitioner, Title

FROZEN = datetime.datetime(
    2026, 6, 15, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
)
EXTENT = synthetic.Extent(
    south=26.00,
    west=118.00,
    north=26.20,
    east=118.30,
    mountains_east_of=118.25,
    mountains_width=0.25,
)
LAKE = (26.04, 118.16, 0.03)


@dataclass
class World:
    p: Personas
    network: RoadNetwork
    desk: User
    lake_village: Institution
    county_surgeon: Practitioner
    stationed_surgeon: Practitioner
    posting: Posting
    township_ct: Equipment
    superuser: User


def _place(inst: Institution, lat: float, lon: float) -> None:
    inst.latitude, inst.longitude = Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
    inst.save()


def _equipment(inst: Institution, code: str, n: int = 1) -> Equipment:
    piece = None
    for i in range(n):
        piece = Equipment.objects.create(
            institution=inst,
            capability=Capability.objects.get(code=code),
            name=f"{code} {i + 1}",
            status=EquipmentStatus.IN_USE,
        )
        EquipmentStatusChange.objects.create(
            equipment=piece,
            status=EquipmentStatus.IN_USE,
            changed_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        )
    return piece


def _credential(practitioner: Practitioner, code: str) -> None:
    Credential.objects.create(
        practitioner=practitioner,
        capability=Capability.objects.get(code=code),
        granted_on=datetime.date(2020, 1, 1),
    )


@pytest.fixture(scope="session")
def county_osm(tmp_path_factory):
    """The test county's roads, generated once (deterministic) for every test."""
    return synthetic.generate(
        tmp_path_factory.mktemp("roads") / "county.osm",
        EXTENT,
        (26.10, 118.27),
        [synthetic.Place(26.10, 118.08)],
        seed=3,
        holes=[LAKE],
    )


def build_world(personas: Personas, path) -> World:
    p = personas
    _place(p.county_a, 26.10, 118.27)
    _place(p.township_a, 26.10, 118.08)
    _place(p.village_a, 26.14, 118.03)
    lake_village = InstitutionFactory(
        name="城关镇水库村卫生室",
        tier=Tier.VILLAGE,
        division_code="350426100202",
        parent=p.township_a,
        latitude=Decimal("26.040000"),
        longitude=Decimal("118.160000"),
    )
    add_member(p.community_a, lake_village)
    network = do_import_road_network(
        actor=None, community=p.community_a, path=path, licence=synthetic.LICENCE
    )
    network = rebuild_now(network.pk)
    tables.forget()

    for code in ("operating_room", "blood_bank", "ecg"):
        _equipment(p.county_a, code)
    _equipment(p.county_a, "ct", 2)
    _equipment(p.township_a, "operating_room")
    _equipment(p.township_a, "ecg")
    township_ct = _equipment(p.township_a, "ct")

    county_surgeon = PractitionerFactory(name="李刚", institution=p.county_a, title=Title.CHIEF)
    stationed = PractitionerFactory(
        name="张伟", institution=p.county_a, title=Title.ASSOCIATE_CHIEF
    )
    neurologist = PractitionerFactory(name="陈静", institution=p.county_a)
    _credential(county_surgeon, "trauma_surgery")
    _credential(stationed, "trauma_surgery")
    _credential(neurologist, "thrombolysis_stroke")
    township_doctor = Practitioner.objects.get(name="王医生")
    _credential(township_doctor, "thrombolysis_stroke")
    posting = Posting.objects.create(
        practitioner=stationed,
        home_institution=p.county_a,
        host_institution=p.township_a,
        kind=PostingKind.STATIONING,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 6, 30),
    )
    desk = UserFactory(username="desk", display_name="急救调度员")
    MembershipFactory(user=desk, institution=p.county_a, role="emergency_desk")
    superuser = User.objects.create_superuser("root", password="x")
    return World(
        p,
        network,
        desk,
        lake_village,
        county_surgeon,
        stationed,
        posting,
        township_ct,
        superuser,
    )


@pytest.fixture
def world(personas, county_osm, time_machine) -> World:
    time_machine.move_to(FROZEN, tick=False)
    assert timezone.localdate() == datetime.date(2026, 6, 15)
    return build_world(personas, county_osm)
