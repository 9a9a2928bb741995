"""Background work: rebuilding a road network's travel-time table, with progress."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from lianxin.emergency import tables
from lianxin.emergency.models import RoadNetwork, TableStatus
from lianxin.emergency.roads import RoadGraph
from lianxin.emergency.routing import build_table

log = logging.getLogger(__name__)


def rebuild_now(network_id: int) -> RoadNetwork:
    """Build the table for the network's current sites; progress is written as it goes."""
    network = RoadNetwork.objects.defer("table_data").get(pk=network_id)
    RoadNetwork.objects.filter(pk=network_id).update(status=TableStatus.BUILDING, progress=0)
    started = time.perf_counter()
    try:
        graph = RoadGraph.from_bytes(bytes(network.graph_data))
        sites = list(
            tables.destination_sites(network).values_list("pk", "name", "latitude", "longitude")
        )
        last = [0.0]

        def progress(fraction: float) -> None:
            # Written at most every 5%, outside the build's own transaction: a watcher sees it.
            if fraction - last[0] >= 0.05 or fraction >= 1:
                last[0] = fraction
                RoadNetwork.objects.filter(pk=network_id).update(progress=round(fraction, 3))

        from lianxin.emergency.routing import Site

        table = build_table(
            graph,
            [Site(pk, float(lat), float(lon)) for pk, _, lat, lon in sites],
            network.speed_overrides or {},
            progress=progress,
        )
        off = [
            name for (pk, name, _, _), node in zip(sites, table.site_nodes, strict=True) if node < 0
        ]
        with transaction.atomic():
            row = RoadNetwork.objects.select_for_update().get(pk=network_id)
            row.table_data = table.to_bytes()
            row.table_version += 1
            row.status = TableStatus.READY
            row.progress = 1
            row.built_at = timezone.now()
            row.build_seconds = round(time.perf_counter() - started, 2)
            row.sites = len(sites)
            row.sites_off_network = off
            row.site_positions = {
                str(pk): [round(float(lat), 6), round(float(lon), 6)] for pk, _, lat, lon in sites
            }
            row.error = ""
            row.save()
    except Exception as exc:  # a failed build is reported on the network's page, not lost
        log.exception("travel-time table of road network %s failed", network_id)
        RoadNetwork.objects.filter(pk=network_id).update(
            status=TableStatus.FAILED, error=str(exc)[:2000]
        )
        raise
    tables.forget(network_id)
    return row


@task()
def rebuild_travel_times(network_id: int) -> int:
    """The background task: rebuild and return the new table version."""
    return rebuild_now(network_id).table_version


def enqueue_rebuild(network_id: int) -> None:
    """Mark the table stale and rebuild it after the current transaction commits."""
    RoadNetwork.objects.filter(pk=network_id).exclude(status=TableStatus.BUILDING).update(
        status=TableStatus.PENDING
    )
    transaction.on_commit(lambda: rebuild_travel_times.enqueue(network_id))
