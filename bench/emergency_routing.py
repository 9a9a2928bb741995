"""Emergency routing: the precomputed travel-time table against a per-query networkx Dijkstra.

    .venv/bin/python bench/emergency_routing.py
    .venv/bin/python bench/emergency_routing.py --nodes 100000 --sites 200 --queries 2000
    .venv/bin/python bench/emergency_routing.py --advice 200     # also the full advice (Django)

Part 1 (no database): a synthetic hilly network of about ``--nodes`` nodes, written as
OpenStreetMap XML and read by the importer; ``--sites`` sites at random nodes. It times the
table's precompute (SciPy Dijkstra from every site on the reversed graph) and its memory, then
the same random questions answered two ways in the same run: the table (nearest node in the
k-d tree, one row read, rank the sites, follow the route to the best) and networkx
(``single_source_dijkstra_path_length`` from the question's node, then the same ranking), and
checks both give the same nearest site and minutes. networkx is slow, so it answers
``--nx-queries`` of the questions.

Part 2 (``--advice N``): the full advice as the desk gets it — the table read plus the
capability queries (outreach) and the "what is missing" queries — on the demo county in a
temporary SQLite database.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from lianxin.emergency import rules, synthetic
from lianxin.emergency.roads import read_osm
from lianxin.emergency.routing import Site, build_table, weighted_matrix


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def network(nodes: int, seed: int):
    """A square synthetic county whose node count (grid + bends) is about ``nodes``."""
    # About 2.6 nodes per grid cell once the hills add their bends (measured).
    side = int(math.sqrt(nodes / 2.6))
    step = 0.009
    extent = synthetic.Extent(
        south=24.0,
        west=117.0,
        north=24.0 + side * step,
        east=117.0 + side * step * 1.1,
        mountains_east_of=117.0 + side * step * 0.8,
        mountains_width=side * step * 0.6,
    )
    hub = (24.0 + side * step / 2, 117.0 + side * step)
    rng = random.Random(seed)
    places = [
        synthetic.Place(
            rng.uniform(extent.south, extent.north), rng.uniform(extent.west, extent.east)
        )
        for _ in range(30)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = synthetic.generate(Path(tmp) / "bench.osm", extent, hub, places, seed=seed)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        graph = read_osm(path)
        imported = time.perf_counter() - started
        size = path.stat().st_size
    return graph, generated, imported, size


def part1(args) -> None:
    rng = random.Random(args.seed)
    graph, generated, imported, size = network(args.nodes, args.seed)
    print(
        f"network: {graph.nodes:,} nodes, {graph.edges:,} directed segments "
        f"({graph.oneway_segments:,} one-way); OSM XML {size / 2**20:.1f} MB generated in "
        f"{generated:.1f} s, imported (pyosmium) in {imported:.1f} s"
    )
    picks = rng.sample(range(graph.nodes), args.sites)
    sites = [Site(i, float(graph.lat[n]), float(graph.lon[n])) for i, n in enumerate(picks)]
    before = rss_mb()
    started = time.perf_counter()
    table = build_table(graph, sites)
    precompute = time.perf_counter() - started
    table_mb = (table.times.nbytes + table.next_hop.nbytes) / 2**20
    print(
        f"precompute: {args.sites} sites × {graph.nodes:,} nodes in {precompute:.2f} s; "
        f"table {table_mb:.0f} MB (times float32 + next hop int32), "
        f"peak RSS {rss_mb():.0f} MB (+{rss_mb() - before:.0f} MB during the build)"
    )
    print(f"k-d tree over {table.snappable.size:,} snappable nodes (built with the table)")

    south, west, north, east = graph.bounds()
    questions = []
    while len(questions) < args.queries + args.warmup:
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        snap = table.snap(graph, lat, lon)
        if snap.metres <= rules.MAX_SNAP_METRES:
            questions.append((lat, lon))
    warm, questions = questions[: args.warmup], questions[args.warmup :]

    def by_table(lat: float, lon: float):
        snap = table.snap(graph, lat, lon)
        row = table.minutes_from(snap.node)
        order = np.argsort(row)
        best = int(order[0])
        route = table.route(snap.node, best)
        return best, float(row[best]) + snap.minutes, len(route)

    for lat, lon in warm:  # warm-up (questions not timed): the k-d tree, the table's pages
        by_table(lat, lon)
    if not args.no_freeze:
        # What the server does after loading a table (tables.load): the long-lived objects of
        # the build move to the permanent generation, so no collection walks them mid-query.
        gc.collect()
        gc.freeze()
    collections = [0, 0.0]
    gc_started = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            collections[0] += 1
            collections[1] += time.perf_counter() - gc_started[0]

    gc.callbacks.append(on_gc)
    load_before = loadavg()
    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    table_times, answers = [], []
    for lat, lon in questions:
        started = time.perf_counter()
        answers.append(by_table(lat, lon))
        table_times.append(time.perf_counter() - started)
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    gc.callbacks.remove(on_gc)
    slow = sorted(t for t in table_times if t > 0.010)
    print(
        f"table phase: load {load_before} → {loadavg()}; {len(table_times)} questions in "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({cpu / wall:.0%} on CPU); "
        f"GC during it: {collections[0]} collections, {collections[1] * 1000:.1f} ms; "
        f"gc.freeze {'off' if args.no_freeze else 'on'}; "
        f"{len(slow)} questions over 10 ms"
        + (f" (slowest {slow[-1] * 1000:.1f} ms)" if slow else "")
    )
    print(
        "table, by round of "
        f"{max(1, len(table_times) // args.rounds)}: p99 "
        + ", ".join(
            f"{pct(chunk, 99) * 1000:.3f}"
            for chunk in np.array_split(np.array(table_times), args.rounds)
            if len(chunk)
        )
        + " ms"
    )

    import networkx as nx

    matrix = weighted_matrix(graph, graph.minutes(rules.ROAD_SPEEDS_KMH)).tocoo()
    digraph = nx.DiGraph()
    digraph.add_weighted_edges_from(
        zip(matrix.row.tolist(), matrix.col.tolist(), matrix.data.tolist(), strict=True)
    )
    site_nodes = {int(n): c for c, n in enumerate(table.site_nodes) if n >= 0}
    legs = table.site_snap_m / (rules.SNAP_LEG_KMH * 1000 / 60)
    nx_times, mismatches = [], 0
    for (lat, lon), (best, minutes, _) in zip(questions[: args.nx_queries], answers, strict=False):
        started = time.perf_counter()
        snap = table.snap(graph, lat, lon)
        lengths = nx.single_source_dijkstra_path_length(digraph, snap.node, weight="weight")
        found = min(
            ((lengths[n] + legs[c], c) for n, c in site_nodes.items() if n in lengths),
            default=(math.inf, -1),
        )
        nx_times.append(time.perf_counter() - started)
        if found[1] != best and abs(found[0] + snap.minutes - minutes) > 1e-3:
            mismatches += 1
    ms = 1000
    t50, t99 = pct(table_times, 50) * ms, pct(table_times, 99) * ms
    n50, n99 = pct(nx_times, 50) * ms, pct(nx_times, 99) * ms
    print(
        f"table:    {len(table_times)} questions  p50 {t50:.3f} ms  p99 {t99:.3f} ms  "
        f"p99.9 {pct(table_times, 99.9) * ms:.3f} ms  max {max(table_times) * ms:.3f} ms  "
        f"mean {statistics.mean(table_times) * ms:.3f} ms"
    )
    print(
        f"networkx: {len(nx_times)} questions  p50 {n50:.1f} ms  p99 {n99:.1f} ms  "
        f"mean {statistics.mean(nx_times) * ms:.1f} ms"
    )
    print(
        f"ratio (networkx / table): p50 {n50 / t50:,.0f}×  p99 {n99 / t99:,.0f}×; "
        f"answers that differ: {mismatches} of {len(nx_times)}"
    )


def part2(args) -> None:
    workdir = tempfile.TemporaryDirectory(prefix="lianxin-bench-")
    os.environ["LIANXIN_MODE"] = "demo"
    os.environ.setdefault("LIANXIN_DATA_DIR", workdir.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    os.environ.setdefault("LIANXIN_LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lianxin.demo.build import build_county
    from lianxin.demo.context import DemoOptions
    from lianxin.emergency.advice import Origin, advise
    from lianxin.emergency.models import RoadNetwork

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    county = build_county(DemoOptions())
    print(f"demo county built in {time.perf_counter() - started:.1f} s")
    rng = random.Random(args.seed)
    networks = RoadNetwork.objects.all()
    villages = list(county.villages)
    conditions = list(rules.CONDITIONS)
    advise(Origin(24.6, 117.2), "severe_trauma", networks=networks)  # loads the table
    times, queries = [], []
    for _ in range(args.advice):
        village = rng.choice(villages)
        origin = Origin(float(village.latitude), float(village.longitude), village.name, village)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            advise(origin, rng.choice(conditions), networks=networks)
            times.append(time.perf_counter() - started)
        queries.append(len(captured))
    print(
        f"full advice (demo county, SQLite): {len(times)} questions  "
        f"p50 {pct(times, 50) * 1000:.1f} ms  p99 {pct(times, 99) * 1000:.1f} ms; "
        f"SQL queries per advice {min(queries)}–{max(queries)}"
    )
    workdir.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--nx-queries", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="p99 per round, to see the noise")
    parser.add_argument("--no-freeze", action="store_true", help="leave the GC as it is")
    parser.add_argument("--advice", type=int, default=0)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {loadavg()} (shared)")
    part1(args)
    if args.advice:
        part2(args)


if __name__ == "__main__":
    main()
