"""A county's road network, read from an OpenStreetMap extract (PBF or XML) with pyosmium.

The network is a directed graph held in NumPy arrays: node positions, and one row per direction
a vehicle may drive each road segment (a one-way street has one row, a two-way street two), with
its length and road class. Travel times come from the lengths and the speeds of ``rules.py``
(overridable per county) when the travel-time table is built (``routing.py``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lianxin.emergency import rules

EARTH_RADIUS_M = 6_371_008.8


class RoadImportError(ValueError):
    """The file is not an OpenStreetMap extract we can read, or holds no drivable road."""


@dataclass
class RoadGraph:
    """Nodes and directed road segments of a network."""

    lat: np.ndarray  # float64, per node
    lon: np.ndarray
    edge_from: np.ndarray  # int32, per directed segment
    edge_to: np.ndarray
    edge_metres: np.ndarray  # float32
    edge_class: np.ndarray  # int16, index into ``classes``
    classes: tuple[str, ...]
    oneway_segments: int = 0

    @property
    def nodes(self) -> int:
        return int(self.lat.shape[0])

    @property
    def edges(self) -> int:
        return int(self.edge_from.shape[0])

    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) in degrees."""
        return (
            float(self.lat.min()),
            float(self.lon.min()),
            float(self.lat.max()),
            float(self.lon.max()),
        )

    def minutes(self, speeds: Mapping[str, float]) -> np.ndarray:
        """Minutes to drive each directed segment at the given km/h per road class."""
        per_class = np.array(
            [speeds.get(name, rules.ROAD_SPEEDS_KMH.get(name, 20.0)) for name in self.classes],
            dtype=np.float64,
        )
        kmh = per_class[self.edge_class]
        return self.edge_metres.astype(np.float64) / (kmh * 1000.0 / 60.0)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            lat=self.lat,
            lon=self.lon,
            edge_from=self.edge_from,
            edge_to=self.edge_to,
            edge_metres=self.edge_metres,
            edge_class=self.edge_class,
            classes=np.array(self.classes),
            oneway=np.array([self.oneway_segments]),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadGraph:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                lat=arrays["lat"],
                lon=arrays["lon"],
                edge_from=arrays["edge_from"],
                edge_to=arrays["edge_to"],
                edge_metres=arrays["edge_metres"],
                edge_class=arrays["edge_class"],
                classes=tuple(str(c) for c in arrays["classes"]),
                oneway_segments=int(arrays["oneway"][0]),
            )


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (NumPy arrays or floats)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def straight_line_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(haversine_m(lat1, lon1, lat2, lon2))


def _direction(tags) -> int:
    """+1 forward only, -1 backward only, 0 both ways (OpenStreetMap Wiki: Key:oneway)."""
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in rules.ONEWAY_FORWARD:
        return 1
    if oneway in rules.ONEWAY_BACKWARD:
        return -1
    if oneway == "no":
        return 0
    if tags.get("highway") in rules.IMPLIED_ONEWAY_HIGHWAY:
        return 1
    if tags.get("junction") in rules.IMPLIED_ONEWAY_JUNCTION:
        return 1
    return 0


def _drivable(tags) -> str | None:
    highway = tags.get("highway")
    if highway not in rules.DRIVABLE:
        return None
    if tags.get("area") == "yes":
        return None
    access = tags.get("motor_vehicle") or tags.get("motorcar") or tags.get("access")
    if access in rules.NOT_DRIVABLE_ACCESS:
        return None
    if highway == "service" and tags.get("service") in rules.NOT_DRIVABLE_SERVICE:
        return None
    return highway


def read_osm(path: str | Path) -> RoadGraph:
    """The drivable roads of an OpenStreetMap file (.osm.pbf, .osm, .osm.bz2 …).

    Raises ``RoadImportError`` with a message for a file that cannot be read or that holds no
    drivable road.
    """
    import osmium

    classes: list[str] = []
    class_index: dict[str, int] = {}
    node_index: dict[int, int] = {}
    lat: list[float] = []
    lon: list[float] = []
    src: list[int] = []
    dst: list[int] = []
    cls: list[int] = []
    oneway = 0

    def node_of(ref) -> int | None:
        key = ref.ref
        found = node_index.get(key)
        if found is not None:
            return found
        location = ref.location
        if not location.valid():
            return None
        node_index[key] = len(lat)
        lat.append(location.lat)
        lon.append(location.lon)
        return node_index[key]

    class Ways(osmium.SimpleHandler):
        def way(self, way) -> None:
            nonlocal oneway
            highway = _drivable(way.tags)
            if highway is None:
                return
            if highway not in class_index:
                class_index[highway] = len(classes)
                classes.append(highway)
            road_class = class_index[highway]
            direction = _direction(way.tags)
            previous = None
            for ref in way.nodes:
                here = node_of(ref)
                if here is None:
                    previous = None
                    continue
                if previous is not None and previous != here:
                    if direction >= 0:
                        src.append(previous)
                        dst.append(here)
                        cls.append(road_class)
                    if direction <= 0:
                        src.append(here)
                        dst.append(previous)
                        cls.append(road_class)
                    if direction != 0:
                        oneway += 1
                previous = here

    try:
        Ways().apply_file(str(path), locations=True)
    except RuntimeError as exc:  # libosmium's parse and I/O errors
        raise RoadImportError(f"not a readable OpenStreetMap file: {exc}") from exc
    if not src:
        raise RoadImportError("the file holds no drivable road")
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    src_a = np.asarray(src, dtype=np.int32)
    dst_a = np.asarray(dst, dtype=np.int32)
    metres = haversine_m(lat_a[src_a], lon_a[src_a], lat_a[dst_a], lon_a[dst_a]).astype(np.float32)
    return RoadGraph(
        lat=lat_a,
        lon=lon_a,
        edge_from=src_a,
        edge_to=dst_a,
        edge_metres=metres,
        edge_class=np.asarray(cls, dtype=np.int16),
        classes=tuple(classes),
        oneway_segments=oneway,
    )


def local_xy(lat: np.ndarray, lon: np.ndarray, origin_lat: float) -> np.ndarray:
    """Equirectangular metres around ``origin_lat``: exact enough within a county for the
    nearest-node search (the error at 50 km is well under 1%)."""
    scale = math.cos(math.radians(origin_lat))
    return np.column_stack(
        (
            np.radians(np.asarray(lon, dtype=np.float64)) * EARTH_RADIUS_M * scale,
            np.radians(np.asarray(lat, dtype=np.float64)) * EARTH_RADIUS_M,
        )
    )
