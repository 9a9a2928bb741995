"""Loading the stored road graph and travel-time table, once per process and table version."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from lianxin.emergency.models import RoadNetwork, TableStatus
from lianxin.emergency.roads import RoadGraph
from lianxin.emergency.routing import Site, TravelTable
from lianxin.network.models import Institution, Tier

# Destinations: every care site from a township centre up (a village clinic is where a patient
# is found, not where an emergency is treated).
DESTINATION_TIERS = frozenset(
    {
        Tier.TERTIARY,
        Tier.COUNTY_HOSPITAL,
        Tier.COUNTY_TCM,
        Tier.COUNTY_MCH,
        Tier.TOWNSHIP,
        Tier.COMMUNITY_CENTRE,
    }
)
BOUNDS_MARGIN_DEG = 0.02  # a site just outside the extract's box still snaps (about 2 km)


@dataclass
class Loaded:
    network_id: int
    version: int
    graph: RoadGraph
    table: TravelTable | None


_cache: dict[int, Loaded] = {}
_lock = threading.Lock()


def destination_sites(network: RoadNetwork) -> QuerySet:
    """The active care sites inside the network's box: the columns of its table."""
    m = BOUNDS_MARGIN_DEG
    return (
        Institution.objects.filter(
            is_active=True,
            tier__in=list(DESTINATION_TIERS),
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .filter(
            Q(latitude__gte=network.south - m, latitude__lte=network.north + m)
            & Q(longitude__gte=network.west - m, longitude__lte=network.east + m)
        )
        .order_by("pk")
    )


def sites_of(queryset: QuerySet) -> list[Site]:
    return [
        Site(pk, float(lat), float(lon))
        for pk, lat, lon in queryset.values_list("pk", "latitude", "longitude")
    ]


def load(network: RoadNetwork) -> Loaded:
    """The graph and table of ``network`` (whose row may have been read without its blobs)."""
    with _lock:
        hit = _cache.get(network.pk)
        if hit is not None and hit.version == network.table_version:
            return hit
    row = RoadNetwork.objects.filter(pk=network.pk).values(
        "graph_data", "table_data", "table_version", "status"
    )[0]
    graph = RoadGraph.from_bytes(bytes(row["graph_data"]))
    table = None
    if row["table_data"] and row["status"] in {TableStatus.READY, TableStatus.PENDING}:
        table = TravelTable.from_bytes(bytes(row["table_data"]))
    loaded = Loaded(network.pk, row["table_version"], graph, table)
    with _lock:
        _cache[network.pk] = loaded
    return loaded


def forget(network_id: int | None = None) -> None:
    with _lock:
        if network_id is None:
            _cache.clear()
        else:
            _cache.pop(network_id, None)
