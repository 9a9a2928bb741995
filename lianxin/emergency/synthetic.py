"""A synthetic hilly county road network, written as an OpenStreetMap XML file.

The demo county (and the benchmark) need roads where the real county's data is not shipped.
The generator is deterministic for a seed: a jittered grid of village roads (``unclassified``,
some ``track``), county roads (``secondary``) that run from the county seat to every township,
a provincial road (``primary``) to the city, and a few one-way streets in the county seat. Hills
make roads wind: the further west (the mountains of the real county), the more bends a segment
has, so it is longer than the straight line and slower to drive. The file goes through the same
import as a real extract (``roads.read_osm``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

LICENCE = "合成数据（由 Lianxin 确定性生成，非真实道路），可自由使用"


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    road: str = "secondary"  # the class of the road that links it to the hub
    start: tuple[float, float] | None = None  # where that road starts, if not at the hub


@dataclass(frozen=True)
class Extent:
    south: float
    west: float
    north: float
    east: float
    step_lat: float = 0.009  # about 1 km
    step_lon: float = 0.010
    mountains_east_of: float = 117.45  # west of this the terrain rises (ruggedness 0 → 1)
    mountains_width: float = 0.35


def _rugged(extent: Extent, lon: float) -> float:
    return min(1.0, max(0.0, (extent.mountains_east_of - lon) / extent.mountains_width))


class _Writer:
    def __init__(self) -> None:
        self.nodes: list[tuple[float, float]] = []
        self.ways: list[tuple[list[int], dict[str, str]]] = []

    def node(self, lat: float, lon: float) -> int:
        self.nodes.append((lat, lon))
        return len(self.nodes)  # OSM ids start at 1

    def way(self, refs: list[int], tags: dict[str, str]) -> None:
        self.ways.append((refs, tags))

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            out.write('<osm version="0.6" generator="lianxin-synthetic">\n')
            for n, (lat, lon) in enumerate(self.nodes, start=1):
                out.write(f'<node id="{n}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
            for w, (refs, tags) in enumerate(self.ways, start=1):
                out.write(f'<way id="{w}" version="1">')
                out.write("".join(f'<nd ref="{r}"/>' for r in refs))
                out.write(
                    "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
                )
                out.write("</way>\n")
            out.write("</osm>\n")


def generate(
    path: Path,
    extent: Extent,
    hub: tuple[float, float],
    places: Sequence[Place],
    *,
    seed: int = 627,
    drop_share: float = 0.3,
    holes: Sequence[tuple[float, float, float]] = (),
) -> Path:
    """Write the network to ``path`` (OSM XML) and return it.

    ``holes`` are (lat, lon, radius in degrees) with no road at all: a reservoir, a mountain.
    """
    rng = random.Random(seed)
    rows = round((extent.north - extent.south) / extent.step_lat) + 1
    cols = round((extent.east - extent.west) / extent.step_lon) + 1
    writer = _Writer()
    grid: dict[tuple[int, int], int] = {}
    position: dict[tuple[int, int], tuple[float, float]] = {}
    for r in range(rows):
        for c in range(cols):
            lat = extent.south + r * extent.step_lat + rng.uniform(-0.3, 0.3) * extent.step_lat
            lon = extent.west + c * extent.step_lon + rng.uniform(-0.3, 0.3) * extent.step_lon
            if any(math.hypot(lat - h[0], lon - h[1]) < h[2] for h in holes):
                continue
            grid[(r, c)] = writer.node(lat, lon)
            position[(r, c)] = (lat, lon)

    def cell(lat: float, lon: float) -> tuple[int, int]:
        r = min(rows - 1, max(0, round((lat - extent.south) / extent.step_lat)))
        c = min(cols - 1, max(0, round((lon - extent.west) / extent.step_lon)))
        return r, c

    classed: dict[frozenset, str] = {}
    rank = {"primary": 3, "secondary": 2, "tertiary": 1}

    def route(a: tuple[int, int], b: tuple[int, int], road: str) -> None:
        """A staircase along the straight line, diagonal steps allowed."""
        r, c = a
        while (r, c) != b:
            nr = r + (b[0] > r) - (b[0] < r)
            nc = c + (b[1] > c) - (b[1] < c)
            if abs(b[0] - r) * 2 < abs(b[1] - c):
                nr = r
            elif abs(b[1] - c) * 2 < abs(b[0] - r):
                nc = c
            key = frozenset({(r, c), (nr, nc)})
            if (r, c) not in grid or (nr, nc) not in grid:
                r, c = nr, nc
                continue
            if rank.get(classed.get(key, ""), 0) < rank[road]:
                classed[key] = road
            r, c = nr, nc

    hub_cell = cell(*hub)
    for place in places:
        route(
            cell(*place.start) if place.start else hub_cell, cell(place.lat, place.lon), place.road
        )

    def bends(a: tuple[float, float], b: tuple[float, float], road: str) -> list[int]:
        """Intermediate nodes that make a segment wind in the hills (engineered roads less)."""
        rugged = _rugged(extent, (a[1] + b[1]) / 2)
        if road in rank:
            rugged *= 0.35
        count = round(rugged * 3)
        refs = []
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        for k in range(1, count + 1):
            t = k / (count + 1)
            # Perpendicular offset, alternating sides: a switchback.
            off = (0.3 if k % 2 else -0.3) * length * rugged
            dx, dy = b[1] - a[1], b[0] - a[0]
            norm = math.hypot(dx, dy) or 1.0
            lat = a[0] + dy * t + (dx / norm) * off
            lon = a[1] + dx * t - (dy / norm) * off
            refs.append(writer.node(lat, lon))
        return refs

    def link(u: tuple[int, int], v: tuple[int, int], tags: dict[str, str]) -> None:
        refs = [grid[u], *bends(position[u], position[v], tags["highway"]), grid[v]]
        writer.way(refs, tags)

    seat_r, seat_c = hub_cell
    for r in range(rows):
        for c in range(cols):
            if (r, c) not in grid:
                continue
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                v = (r + dr, c + dc)
                if v not in grid:
                    continue
                key = frozenset({(r, c), v})
                road = classed.get(key)
                if road is None:
                    if dr and dc:
                        continue  # diagonals only where a classed road runs
                    if rng.random() < drop_share:
                        continue
                    road = "track" if rng.random() < 0.06 else "unclassified"
                tags = {"highway": road}
                near_seat = abs(r - seat_r) <= 2 and abs(c - seat_c) <= 2
                if near_seat and road == "unclassified":
                    tags["highway"] = "residential"
                    # A one-way couplet in the county seat: alternate rows run opposite ways.
                    if dr == 0 and r != seat_r:
                        tags["oneway"] = "yes" if r % 2 else "-1"
                link((r, c), v, tags)
    writer.write(path)
    return path


def places_from(institutions: Iterable, road: str = "secondary") -> list[Place]:
    return [Place(float(i.latitude), float(i.longitude), road) for i in institutions]
