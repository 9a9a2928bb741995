"""The DICOM device registry in the network pages: the institution's administrator registers,
edits, switches off and on its application entities through the same input forms as the rest,
each write audited and shown in the device's history; nobody else may."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.core.models import AuditEvent
from lianxin.network.ae import do_register_application_entity
from lianxin.network.models import AERole, ApplicationEntity, Capability, Equipment

pytestmark = pytest.mark.django_db


def _add(institution) -> str:
    return reverse("network:ae-add", kwargs={"id": institution.external_id})


def _edit(entity) -> str:
    return reverse("network:ae-edit", kwargs={"id": entity.external_id})


def _detail(institution) -> str:
    return reverse("network:institution-detail", kwargs={"id": institution.external_id})


@pytest.fixture
def ct(personas) -> ApplicationEntity:
    return do_register_application_entity(
        actor=personas.admin,
        institution=personas.township_a,
        ae_title="CT_A1",
        role=AERole.MODALITY,
        modality="CT",
        station_name="CT1",
    )


def test_the_administrator_registers_a_device_from_the_institution_page(personas):
    client = personas.client("admin")
    page = client.get(_detail(personas.township_a)).content.decode()
    assert _add(personas.township_a) in page
    machine = Equipment.objects.create(
        institution=personas.township_a, capability=Capability.objects.get(code="ct"), name="64排CT"
    )
    response = client.post(
        _add(personas.township_a),
        {
            "ae_title": "ct_a1 ",
            "role": AERole.MODALITY,
            "modality": "ct",
            "station_name": "CT1",
            "equipment": str(machine.external_id),
        },
    )
    assert response.status_code == 302
    entity = ApplicationEntity.objects.get()
    assert (entity.ae_title, entity.modality, entity.equipment_id) == ("CT_A1", "CT", machine.pk)
    assert entity.institution_id == personas.township_a.pk and entity.is_active
    event = AuditEvent.objects.get(action="network.ae.register")
    assert event.actor_id == personas.admin.pk and event.after["ae_title"] == "CT_A1"
    page = client.get(_detail(personas.township_a)).content.decode()
    assert "CT_A1" in page and _edit(entity) in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ae_title": "CT A1!", "role": "modality", "modality": "CT"}, "ae_title", "Up to 16"),
        ({"ae_title": "CT_A2", "role": "modality", "modality": ""}, "modality", "modality code"),
        ({"ae_title": "CT_A1", "role": "workstation"}, "ae_title", "already registered"),
        ({"ae_title": "WS", "role": "workstation", "port": "70000"}, "port", "65535"),
        ({"ae_title": "WS", "role": "nurse"}, "role", "valid choice"),
    ],
    ids=["title", "modality", "taken", "port", "role"],
)
def test_bad_input_is_shown_on_its_field_and_nothing_is_written(personas, ct, data, field, message):
    response = personas.client("admin").post(_add(personas.township_a), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert ApplicationEntity.objects.count() == 1
    assert AuditEvent.objects.filter(action="network.ae.register").count() == 1


def test_an_edit_is_audited_and_shown_in_the_history(personas, ct):
    client = personas.client("admin")
    response = client.post(
        _edit(ct),
        {"ae_title": "CT_A1", "role": "modality", "modality": "CT", "station_name": "CT2"},
    )
    assert response.status_code == 302
    ct.refresh_from_db()
    assert ct.station_name == "CT2"
    event = AuditEvent.objects.get(action="network.ae.update")
    assert event.before == {"station_name": "CT1"} and event.after == {"station_name": "CT2"}
    page = client.get(_edit(ct)).content.decode()
    assert "CT2" in page and "CT1" in page


def test_switching_a_device_off_and_on_again(personas, ct):
    client = personas.client("admin")
    url = reverse("network:ae-active", kwargs={"id": ct.external_id})
    client.post(url, {})
    ct.refresh_from_db()
    assert not ct.is_active
    client.post(url, {"active": "on"})
    ct.refresh_from_db()
    assert ct.is_active
    changes = AuditEvent.objects.filter(action="network.ae.update").order_by("seq")
    assert [e.after for e in changes] == [{"is_active": False}, {"is_active": True}]


def test_a_clinician_and_other_institutions_may_not_change_devices(personas, ct):
    doctor = personas.client("doctor")
    assert "CT_A1" not in doctor.get(_detail(personas.township_a)).content.decode()
    assert doctor.get(_add(personas.township_a)).status_code == 403
    assert doctor.get(_edit(ct)).status_code == 403
    assert doctor.post(reverse("network:ae-active", kwargs={"id": ct.external_id})).status_code == (
        403
    )
    # The township's administrator does not manage the county hospital's devices.
    county_ws = do_register_application_entity(
        actor=personas.admin.__class__.objects.create(username="root", is_superuser=True),
        institution=personas.county_a,
        ae_title="WS_COUNTY",
        role=AERole.WORKSTATION,
    )
    assert personas.client("admin").get(_edit(county_ws)).status_code == 403
    # Another county community does not even see them.
    outsider = personas.client("outsider")
    assert outsider.get(_edit(ct)).status_code == 404
    assert outsider.post(
        reverse("network:ae-active", kwargs={"id": ct.external_id})
    ).status_code == (404)
    ct.refresh_from_db()
    assert ct.is_active and ct.station_name == "CT1"
