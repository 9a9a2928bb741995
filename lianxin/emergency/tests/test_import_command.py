"""``lianxin import_roads FILE --community NAME``: the console's way in for a county's extract;
it builds the travel-time table at once or leaves it to the worker, and refuses what it cannot
read with a one-line error."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from lianxin.core.models import AuditEvent
from lianxin.emergency.models import RoadNetwork, TableStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(personas):
    for inst, lat, lon in (
        (personas.county_a, 26.10, 118.27),
        (personas.township_a, 26.10, 118.08),
    ):
        inst.latitude, inst.longitude = Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
        inst.save()
    return personas


def test_the_command_imports_the_extract_and_builds_the_table(placed, county_osm):
    out = io.StringIO()
    call_command("import_roads", str(county_osm), community="尤溪县医共体", stdout=out)
    network = RoadNetwork.objects.get(community=placed.community_a)
    assert network.status == TableStatus.READY and network.table_version == 1
    assert network.nodes > 1000 and network.sites >= 2 and not network.sites_off_network
    assert network.licence.startswith("© OpenStreetMap")
    text = out.getvalue()
    assert f"{network.nodes} nodes" in text and "travel-time table" in text
    assert AuditEvent.objects.filter(action="emergency.roads.import").count() == 1


def test_in_the_background_the_table_is_left_to_the_worker(
    placed, county_osm, django_capture_on_commit_callbacks
):
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as queued:
        call_command(
            "import_roads", str(county_osm), community="尤溪县医共体", background=True, stdout=out
        )
    network = RoadNetwork.objects.get()
    assert network.status == TableStatus.PENDING and len(queued) == 1
    assert "queued" in out.getvalue()
    for callback in queued:
        callback()
    network.refresh_from_db()
    assert network.status == TableStatus.READY and network.progress == 1


def test_an_unknown_community_or_an_unreadable_file_is_a_one_line_error(placed, tmp_path):
    with pytest.raises(CommandError, match="no community named"):
        call_command("import_roads", str(tmp_path / "x.osm"), community="无此医共体")
    bad = tmp_path / "roads.osm"
    bad.write_text("<html>not a map</html>")
    with pytest.raises(CommandError, match=r"Road import failed|道路导入失败"):
        call_command("import_roads", str(bad), community="尤溪县医共体")
    assert not RoadNetwork.objects.exists()
