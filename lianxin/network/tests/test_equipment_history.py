"""The equipment status history: written with the status and the audit row, append-only, begun
for existing equipment by the migration, and kept by the admin pages too."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.core.errors import NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.network.actions import do_change_equipment_status, do_register_equipment
from lianxin.network.models import Capability, Equipment, EquipmentStatusChange
from lianxin.network.queries import equipment_in_use, status_moment
from lianxin.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def _ct(personas, **kwargs):
    return do_register_equipment(
        actor=personas.admin,
        institution=personas.township_a,
        capability=Capability.objects.get(code="ct"),
        name="CT",
        **kwargs,
    )


def test_registration_begins_the_history_on_the_installation_day(personas, time_machine):
    time_machine.move_to(MOMENT, tick=False)
    machine = _ct(personas, installed_on=datetime.date(2020, 5, 1))
    (first,) = machine.status_changes.all()
    assert first.status == "in_use" and first.changed_by == personas.admin
    assert timezone.localtime(first.changed_at).date() == datetime.date(2020, 5, 1)
    # Without an installation day (or with one still to come) it begins at registration.
    later = _ct(personas, installed_on=datetime.date(2027, 1, 1), status="idle")
    assert later.status_changes.get().changed_at == MOMENT
    assert later.status_changes.get().status == "idle"


def test_each_status_change_writes_one_history_row_with_its_audit_row(personas, time_machine):
    time_machine.move_to(MOMENT, tick=False)
    machine = _ct(personas)
    time_machine.move_to(MOMENT + datetime.timedelta(hours=3), tick=False)
    do_change_equipment_status(
        actor=personas.admin, equipment=machine, status="broken", note="球管故障"
    )
    # The same status again changes nothing: no history row, no audit row.
    do_change_equipment_status(actor=personas.admin, equipment=machine, status="broken")
    rows = list(machine.status_changes.order_by("changed_at"))
    assert [(r.status, r.changed_at) for r in rows] == [
        ("in_use", MOMENT),
        ("broken", MOMENT + datetime.timedelta(hours=3)),
    ]
    assert rows[1].note == "球管故障" and rows[1].changed_by == personas.admin
    assert AuditEvent.objects.filter(action="equipment.status").count() == 1


def test_a_refused_change_leaves_no_history(personas):
    machine = _ct(personas)
    with pytest.raises(NotAllowed):
        do_change_equipment_status(actor=personas.doctor, equipment=machine, status="broken")
    assert machine.status_changes.count() == 1


def test_the_history_is_append_only(personas):
    row = _ct(personas).status_changes.get()
    row.note = "changed"
    with pytest.raises(RuntimeError):
        row.save()
    with pytest.raises(RuntimeError):
        row.delete()


def test_equipment_in_use_follows_the_history_for_an_earlier_moment(personas, time_machine):
    time_machine.move_to(MOMENT, tick=False)
    machine = _ct(personas)
    time_machine.move_to(MOMENT + datetime.timedelta(days=1), tick=False)
    do_change_equipment_status(actor=personas.admin, equipment=machine, status="broken")
    time_machine.move_to(MOMENT + datetime.timedelta(days=2), tick=False)
    do_change_equipment_status(actor=personas.admin, equipment=machine, status="in_use")

    def in_use(at):
        return list(equipment_in_use(at).filter(pk=machine.pk))

    assert in_use(None) == [machine]
    assert in_use(MOMENT - datetime.timedelta(minutes=1)) == []  # not registered yet
    assert in_use(MOMENT + datetime.timedelta(hours=1)) == [machine]
    assert in_use(MOMENT + datetime.timedelta(days=1, hours=1)) == []
    # A date stands for the end of that day.
    assert in_use(timezone.localdate(MOMENT + datetime.timedelta(days=1))) == []
    assert in_use(timezone.localdate(MOMENT)) == [machine]
    # A piece written without history keeps its current status for every moment.
    bare = Equipment.objects.create(
        institution=personas.township_a, capability=machine.capability, name="DR"
    )
    assert list(equipment_in_use(MOMENT - datetime.timedelta(days=400)).filter(pk=bare.pk)) == [
        bare
    ]


def test_now_and_later_read_the_current_status(time_machine):
    time_machine.move_to(MOMENT, tick=False)
    assert status_moment(None) is None
    assert status_moment(timezone.localdate()) is None
    assert status_moment(MOMENT + datetime.timedelta(days=3)) is None
    assert status_moment(MOMENT - datetime.timedelta(seconds=1)) is not None
    # A naive date-time is local time.
    naive = datetime.datetime(2026, 3, 1, 8, 0)
    assert status_moment(naive) == timezone.make_aware(naive)


def test_the_migration_begins_the_history_of_existing_equipment(personas):
    capability = Capability.objects.get(code="ct")
    installed = Equipment.objects.create(
        institution=personas.township_a,
        capability=capability,
        name="CT",
        status="broken",
        installed_on=datetime.date(2019, 7, 1),
    )
    unknown = Equipment.objects.create(
        institution=personas.township_a, capability=capability, name="CT 2"
    )
    migration = importlib.import_module("lianxin.network.migrations.0003_equipment_status_history")
    migration.begin_history(apps, None)
    first = installed.status_changes.get()
    assert first.status == "broken"
    assert timezone.localtime(first.changed_at).date() == datetime.date(2019, 7, 1)
    assert unknown.status_changes.get().changed_at == unknown.created_at


def test_a_status_changed_in_the_admin_goes_through_the_action(personas):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(superuser)
    machine = _ct(personas)
    url = reverse("admin:network_equipment_change", args=[machine.pk])
    form = {
        "institution": personas.township_a.pk,
        "capability": machine.capability.pk,
        "name": "CT",
        "status": "broken",
        "status_changes-TOTAL_FORMS": "1",
        "status_changes-INITIAL_FORMS": "1",
        "status_changes-MIN_NUM_FORMS": "0",
        "status_changes-MAX_NUM_FORMS": "1000",
        "status_changes-0-id": machine.status_changes.get().pk,
        "status_changes-0-equipment": machine.pk,
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    machine.refresh_from_db()
    assert machine.status == "broken"
    assert list(machine.status_changes.values_list("status", flat=True)) == ["in_use", "broken"]
    event = AuditEvent.objects.get(action="equipment.status")
    assert event.actor == superuser

    added = client.post(
        reverse("admin:network_equipment_add"),
        {
            "institution": personas.township_a.pk,
            "capability": machine.capability.pk,
            "name": "DR",
            "status": "in_use",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
            "status_changes-MIN_NUM_FORMS": "0",
            "status_changes-MAX_NUM_FORMS": "1000",
        },
    )
    assert added.status_code == 302
    dr = Equipment.objects.get(name="DR")
    assert dr.status_changes.count() == 1
    assert AuditEvent.objects.filter(action="equipment.register", target_id=str(dr.external_id))
    assert EquipmentStatusChange.objects.count() == 3
