"""``lianxin mpi link``: batch linkage of the whole index into the MPI review queue."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lianxin.patients.identity_actions import queue_candidates
from lianxin.patients.linkage import LinkageUnavailable, run_linkage
from lianxin.patients.models import CandidateSource
from lianxin.patients.rules import MATCH_REVIEW_WEIGHT


class Command(BaseCommand):
    help = "Master patient index: find likely duplicates across the whole index (Splink)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        link = sub.add_parser("link", help="train on the index by EM and queue likely duplicates")
        link.add_argument(
            "--min-weight",
            type=float,
            default=MATCH_REVIEW_WEIGHT,
            help=f"queue pairs at or above this match weight (default {MATCH_REVIEW_WEIGHT})",
        )
        link.add_argument(
            "--max-u-pairs",
            type=float,
            default=1e6,
            help="random pairs sampled to estimate the u probabilities (default 1e6)",
        )
        link.add_argument("--dry-run", action="store_true", help="report, queue nothing")

    def handle(self, *args, **options):
        try:
            result = run_linkage(
                min_weight=options["min_weight"], max_u_pairs=options["max_u_pairs"]
            )
        except LinkageUnavailable as exc:
            raise CommandError(f"The batch linkage needs Splink: {exc}") from exc
        created = 0
        if not options["dry_run"]:
            created = queue_candidates(result.pairs, CandidateSource.BATCH)
        self.stdout.write(
            f"{result.records:,} patients compared in {result.seconds:.1f} s "
            f"(peak memory {result.peak_memory_mb:,.0f} MB): {len(result.pairs):,} likely "
            f"duplicate pairs, {created:,} new on the review queue."
        )
        for field, levels in result.weights.items():
            shown = ", ".join(f"{level} {weight:+.1f}" for level, weight in levels.items())
            self.stdout.write(f"  {field}: {shown}")
