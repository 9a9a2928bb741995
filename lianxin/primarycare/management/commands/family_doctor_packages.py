"""``lianxin family_doctor_packages``: put the default service packages (rules.DEFAULT_PACKAGES)
in the catalogue of a new installation, so that contracts can be signed; packages already there
are kept as the county changed them (in the admin pages, /admin/primarycare/servicepackage/)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from lianxin.primarycare.actions import do_load_default_packages
from lianxin.primarycare.models import ServicePackage


class Command(BaseCommand):
    help = "Load the default family-doctor service packages (packages already there are kept)."

    def handle(self, *args, **options) -> None:
        added = do_load_default_packages(actor=None)
        total = ServicePackage.objects.count()
        self.stdout.write(f"{added} package(s) added; {total} in the catalogue.")
