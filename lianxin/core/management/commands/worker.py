"""``lianxin worker``: a django-tasks database worker that also runs the recurring jobs.

Overdue workflow items escalate without an outside cron job: every worker runs the scheduler
(``lianxin.core.schedule``), and the job runs once across all of them.
"""

from django_tasks_db.management.commands import db_worker

from lianxin.core.schedule import Scheduler


class Command(db_worker.Command):
    help = (
        "Run a background task worker; it also escalates overdue items every few minutes "
        "(once across all workers)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="do not run the recurring jobs (escalation) from this worker",
        )

    def handle(self, *args, **options):
        scheduler = None if options.pop("no_schedule") else Scheduler()
        if scheduler is not None:
            scheduler.start()
        try:
            super().handle(*args, **options)
        finally:
            if scheduler is not None:
                scheduler.stop()
