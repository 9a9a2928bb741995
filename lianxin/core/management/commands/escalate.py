"""``lianxin escalate``: one escalation pass over overdue workflow items (run it on a schedule)."""

from django.core.management.base import BaseCommand

from lianxin.core.workflow import escalate_overdue


class Command(BaseCommand):
    help = "Escalate every overdue open workflow item once (referrals, orders, results...)."

    def handle(self, *args, **options):
        count = escalate_overdue()
        self.stdout.write(f"escalated {count} overdue item(s)")
