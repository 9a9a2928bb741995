"""``lianxin audit verify``: walk the hash chain and report tampering (exit 1 if any)."""

import sys

from django.core.management.base import BaseCommand

from lianxin.core import audit
from lianxin.core.models import AuditChainHead


class Command(BaseCommand):
    help = "Check the audit log's hash chain for changed, deleted or cut-off rows."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify"])

    def handle(self, *args, **options):
        problems = audit.verify()
        head = AuditChainHead.objects.filter(id=1).first()
        rows = head.seq if head else 0
        if not problems:
            audit.checkpoint_head()
            self.stdout.write(f"audit chain intact: {rows} rows verified")
            return
        for problem in problems:
            self.stdout.write(f"TAMPERED {problem}")
        self.stdout.write(f"{len(problems)} problem(s) in the audit chain")
        sys.exit(1)
