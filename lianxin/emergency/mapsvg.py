"""The county map, drawn on the server as SVG from the imported road network itself.

No tiles: every line is a road segment of the network, coloured by road class; the sites are
marked. The advice page lays the route and the candidates over it in the same coordinates
(``Projection``), and the desk's script turns a click back into latitude and longitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from lianxin.emergency.roads import RoadGraph

WIDTH = 1000.0
CLASS_STYLE = {
    "motorway": ("#c0392b", 3.0),
    "trunk": ("#d35400", 2.6),
    "primary": ("#e67e22", 2.2),
    "secondary": ("#f1c40f", 1.8),
    "tertiary": ("#95a5a6", 1.2),
}
DEFAULT_STYLE = ("#bdc3c7", 0.6)


@dataclass(frozen=True)
class Projection:
    south: float
    west: float
    north: float
    east: float

    @property
    def scale_x(self) -> float:
        return WIDTH / max(self.east - self.west, 1e-9)

    @property
    def scale_y(self) -> float:
        mid = math.radians((self.north + self.south) / 2)
        return self.scale_x / max(math.cos(mid), 1e-6)

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale_y

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return ((lon - self.west) * self.scale_x, (self.north - lat) * self.scale_y)

    def points(self, pairs) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (self.xy(a, b) for a, b in pairs))


def projection_of(network) -> Projection:
    return Projection(network.south, network.west, network.north, network.east)


def _paths(graph: RoadGraph, projection: Projection) -> list[str]:
    a = np.minimum(graph.edge_from, graph.edge_to)
    b = np.maximum(graph.edge_from, graph.edge_to)
    key = a.astype(np.int64) * graph.nodes + b
    _, first = np.unique(key, return_index=True)
    x = (graph.lon - projection.west) * projection.scale_x
    y = (projection.north - graph.lat) * projection.scale_y
    out = []
    order = sorted(
        range(len(graph.classes)), key=lambda i: graph.classes[i] in CLASS_STYLE
    )  # major roads drawn last, on top
    for index in order:
        name = graph.classes[index]
        chosen = first[graph.edge_class[first] == index]
        if chosen.size == 0:
            continue
        u, v = a[chosen], b[chosen]
        d = "".join(
            f"M{x[i]:.1f} {y[i]:.1f}L{x[j]:.1f} {y[j]:.1f}" for i, j in zip(u, v, strict=True)
        )
        colour, width = CLASS_STYLE.get(name, DEFAULT_STYLE)
        out.append(
            f'<path class="road road-{escape(name)}" d="{d}" stroke="{colour}" '
            f'stroke-width="{width}" fill="none" stroke-linecap="round"/>'
        )
    return out


def base_map(network, graph: RoadGraph, sites) -> str:
    """The whole map as one SVG document (roads and sites)."""
    projection = projection_of(network)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} '
        f'{projection.height:.0f}" role="img">',
        f'<rect width="{WIDTH:.0f}" height="{projection.height:.0f}" fill="#fbfaf6"/>',
        *_paths(graph, projection),
    ]
    for site in sites:
        if site.latitude is None or site.longitude is None:
            continue
        x, y = projection.xy(float(site.latitude), float(site.longitude))
        parts.append(
            f'<circle class="site" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#2c3e50">'
            f"<title>{escape(site.name)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
