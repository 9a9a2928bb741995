"""The package catalogue of a new installation: loaded by a command, kept as the county edits it,
and edited in the admin pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from lianxin.primarycare.models import ServicePackage
from lianxin.primarycare.rules import DEFAULT_PACKAGES

pytestmark = pytest.mark.django_db


def test_the_command_loads_the_default_packages_once_and_keeps_the_countys_changes():
    out = io.StringIO()
    call_command("family_doctor_packages", stdout=out)
    assert ServicePackage.objects.count() == len(DEFAULT_PACKAGES)
    assert ServicePackage.objects.get(code="BASIC").items.exists()
    ServicePackage.objects.filter(code="CHRONIC").update(fee=45)
    call_command("family_doctor_packages", stdout=out)
    assert ServicePackage.objects.count() == len(DEFAULT_PACKAGES)
    assert ServicePackage.objects.get(code="CHRONIC").fee == 45
    assert out.getvalue().splitlines()[-1].startswith("0 ")


def test_a_superuser_edits_the_packages_in_the_admin(personas):
    from lianxin.testing.factories import UserFactory

    call_command("family_doctor_packages", stdout=io.StringIO())
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    package = ServicePackage.objects.get(code="CHRONIC")
    assert client.get("/admin/primarycare/servicepackage/").status_code == 200
    page = client.get(f"/admin/primarycare/servicepackage/{package.pk}/change/")
    assert page.status_code == 200 and package.items.first().name in page.content.decode()


def test_a_package_saved_in_the_admin_is_written_to_the_audit_log(personas):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from lianxin.core.models import AuditEvent
    from lianxin.testing.factories import UserFactory

    call_command("family_doctor_packages", stdout=io.StringIO())
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    request = RequestFactory().post("/admin/")
    request.user = root
    package = ServicePackage.objects.get(code="CHRONIC")
    package_admin = site._registry[ServicePackage]
    form_class = package_admin.get_form(request, package, change=True)
    data = {f: getattr(package, f) for f in form_class.base_fields if hasattr(package, f)}
    data["fee"] = 45
    form = form_class(data=data, instance=package)
    assert form.is_valid(), form.errors
    package_admin.save_model(request, form.save(commit=False), form, change=True)
    event = AuditEvent.objects.get(action="primarycare.servicepackage.change")
    assert event.actor_id == root.pk
    assert event.after["fee"].startswith("45") and not event.before["fee"].startswith("45")
