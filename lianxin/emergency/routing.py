"""Travel times from every road node to every site, precomputed with SciPy's compiled Dijkstra.

Dijkstra runs once per site on the reversed graph, so that each run gives the time *from* every
node *to* that site (one-way streets respected). The table is stored node-major (one row per
node, one column per site): a query is a nearest-node lookup in a k-d tree and one row read, and
the route to a site follows the stored next hops. Nodes outside the largest strongly connected
part of the network (a road cut off from the rest, a one-way dead end) are not snapped to.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from lianxin.emergency import rules
from lianxin.emergency.roads import RoadGraph, local_xy

NO_NODE = -9999  # SciPy's "no predecessor"
SITES_PER_CHUNK = 8


@dataclass(frozen=True)
class Site:
    id: int  # institution pk
    lat: float
    lon: float


@dataclass
class Snap:
    node: int
    metres: float

    @property
    def minutes(self) -> float:
        return self.metres / (rules.SNAP_LEG_KMH * 1000 / 60)


@dataclass
class TravelTable:
    """Minutes from each node to each site (``times[node, site]``), with the next hop."""

    site_ids: np.ndarray  # int64 institution pks, one per column
    site_nodes: np.ndarray  # int32, the node each site is snapped to (-1: none in reach)
    site_snap_m: np.ndarray  # float32
    times: np.ndarray  # float32 [nodes, sites], inf where unreachable
    next_hop: np.ndarray  # int32 [nodes, sites], -1 at the site's node or where unreachable
    snappable: np.ndarray  # int32 node indices a place may be snapped to
    origin_lat: float
    _tree: cKDTree | None = field(default=None, repr=False)
    _xy: np.ndarray | None = field(default=None, repr=False)

    def column(self, site_id: int) -> int | None:
        hits = np.nonzero(self.site_ids == site_id)[0]
        return int(hits[0]) if hits.size else None

    def tree(self, graph: RoadGraph) -> cKDTree:
        if self._tree is None:
            xy = local_xy(graph.lat[self.snappable], graph.lon[self.snappable], self.origin_lat)
            self._tree = cKDTree(xy)
        return self._tree

    def snap(self, graph: RoadGraph, lat: float, lon: float) -> Snap:
        """The nearest node a place can be reached from, and how far it is."""
        point = local_xy(np.array([lat]), np.array([lon]), self.origin_lat)[0]
        metres, index = self.tree(graph).query(point)
        return Snap(node=int(self.snappable[int(index)]), metres=float(metres))

    def minutes_from(self, node: int) -> np.ndarray:
        """Minutes from a node to every site (a row read)."""
        return self.times[node]

    def route(self, node: int, column: int, limit: int = 200_000) -> list[int]:
        """The nodes from ``node`` to the site of ``column`` (empty when unreachable)."""
        if not math.isfinite(float(self.times[node, column])):
            return []
        path = [node]
        hops = self.next_hop[:, column]
        while len(path) < limit:
            nxt = int(hops[path[-1]])
            if nxt < 0:
                break
            path.append(nxt)
        return path

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            site_ids=self.site_ids,
            site_nodes=self.site_nodes,
            site_snap_m=self.site_snap_m,
            times=self.times,
            next_hop=self.next_hop,
            snappable=self.snappable,
            origin_lat=np.array([self.origin_lat]),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TravelTable:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                site_ids=arrays["site_ids"],
                site_nodes=arrays["site_nodes"],
                site_snap_m=arrays["site_snap_m"],
                times=arrays["times"],
                next_hop=arrays["next_hop"],
                snappable=arrays["snappable"],
                origin_lat=float(arrays["origin_lat"][0]),
            )


def weighted_matrix(graph: RoadGraph, minutes: np.ndarray) -> csr_matrix:
    """The graph as a sparse matrix of minutes; of parallel segments the quickest counts."""
    order = np.lexsort((minutes, graph.edge_to, graph.edge_from))
    src, dst, weight = graph.edge_from[order], graph.edge_to[order], minutes[order]
    keep = np.ones(src.shape[0], dtype=bool)
    keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    # SciPy reads an explicit zero as "no edge"; two nodes at one spot are a second apart.
    weight = np.maximum(weight[keep], 1e-4)
    return csr_matrix((weight, (src[keep], dst[keep])), shape=(graph.nodes, graph.nodes))


def build_table(
    graph: RoadGraph,
    sites: Sequence[Site],
    speeds: dict[str, float] | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> TravelTable:
    """Precompute the table for the sites (``progress(fraction)`` after each chunk of sites)."""
    speeds = {**rules.ROAD_SPEEDS_KMH, **(speeds or {})}
    matrix = weighted_matrix(graph, graph.minutes(speeds))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    snappable = np.nonzero(labels == biggest)[0].astype(np.int32)
    origin_lat = float(np.mean(graph.lat))
    table = TravelTable(
        site_ids=np.array([s.id for s in sites], dtype=np.int64),
        site_nodes=np.full(len(sites), -1, dtype=np.int32),
        site_snap_m=np.zeros(len(sites), dtype=np.float32),
        times=np.empty((0, 0), dtype=np.float32),
        next_hop=np.empty((0, 0), dtype=np.int32),
        snappable=snappable,
        origin_lat=origin_lat,
    )
    times = np.full((graph.nodes, len(sites)), np.inf, dtype=np.float32)
    next_hop = np.full((graph.nodes, len(sites)), -1, dtype=np.int32)
    reachable: list[int] = []
    for column, site in enumerate(sites):
        snap = table.snap(graph, site.lat, site.lon)
        table.site_snap_m[column] = snap.metres
        if snap.metres <= rules.MAX_SNAP_METRES:
            table.site_nodes[column] = snap.node
            reachable.append(column)
    reverse = matrix.transpose().tocsr()
    done = 0
    for start in range(0, len(reachable), SITES_PER_CHUNK):
        columns = reachable[start : start + SITES_PER_CHUNK]
        dist, pred = dijkstra(reverse, indices=table.site_nodes[columns], return_predecessors=True)
        for row, column in enumerate(columns):
            # The last stretch from the road to the site's door.
            leg = float(table.site_snap_m[column]) / (rules.SNAP_LEG_KMH * 1000 / 60)
            times[:, column] = dist[row] + leg
            hops = pred[row]
            next_hop[:, column] = np.where(hops == NO_NODE, -1, hops)
        done += len(columns)
        if progress is not None:
            progress(done / max(len(reachable), 1))
    table.times = times
    table.next_hop = next_hop
    if progress is not None and not reachable:
        progress(1.0)
    return table
