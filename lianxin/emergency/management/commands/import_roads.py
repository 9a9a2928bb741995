"""``lianxin import_roads FILE --community NAME``: import a county's road network from an
OpenStreetMap extract (.osm.pbf or .osm) and build its travel-time table, with progress."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lianxin.core.errors import ActionError
from lianxin.emergency.actions import do_import_road_network
from lianxin.emergency.tasks import rebuild_now
from lianxin.network.models import Community


class Command(BaseCommand):
    help = "Import a road network from an OpenStreetMap file and build its travel times."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--community", required=True, help="the community's name")
        parser.add_argument("--licence", default="© OpenStreetMap contributors, ODbL 1.0")
        parser.add_argument(
            "--background",
            action="store_true",
            help="leave the travel-time table to the task worker (lianxin worker)",
        )

    def handle(self, *args, **options) -> None:
        community = Community.objects.filter(name=options["community"]).first()
        if community is None:
            raise CommandError(f"no community named {options['community']!r}")
        try:
            network = do_import_road_network(
                actor=None,
                community=community,
                path=options["file"],
                licence=options["licence"],
                rebuild=options["background"],
            )
        except (ActionError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{network.nodes} nodes, {network.edges} road segments "
            f"({network.oneway_segments} one-way)"
        )
        if options["background"]:
            self.stdout.write("travel-time table queued for the worker")
            return
        network = rebuild_now(network.pk)
        self.stdout.write(
            f"travel-time table: {network.sites} sites in {network.build_seconds} s"
            + (
                f"; off the network: {', '.join(network.sites_off_network)}"
                if network.sites_off_network
                else ""
            )
        )
