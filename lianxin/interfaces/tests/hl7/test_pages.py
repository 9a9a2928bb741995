"""The administrator's HL7 pages: failed messages listed, opened (an audited read) and re-run
after the mapping was fixed; other institutions' administrators and clinicians do not see them."""

from __future__ import annotations

import pytest

from lianxin.core.models import AuditEvent
from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.hl7.inbound import handle_text
from lianxin.interfaces.models import AnalyteMapping, Hl7Message
from lianxin.interfaces.tests.hl7.messages import oru
from lianxin.testing.factories import MembershipFactory, UserFactory


@pytest.fixture
def county_admin(personas):
    user = UserFactory(username="county_admin", display_name="县医院信息科 陈工")
    MembershipFactory(user=user, institution=personas.county_a, role="institution_admin")
    return user


def test_a_failed_message_is_listed_opened_and_re_run_after_the_mapping_is_fixed(
    client, personas, lab_system, county_admin, django_assert_max_num_queries
):
    item = order(personas, "GLU")
    failed = handle_text(
        oru("LOC-9", item.accession_number, (("GLU01", "5.5", "mmol/L", "", "", "F"),), system="L")
    ).message
    assert failed.outcome == "AE"
    client.force_login(county_admin)
    with django_assert_max_num_queries(12):
        page = client.get("/interfaces/hl7/")
    assert "LOC-9" in page.content.decode() and "Unmapped code GLU01" in page.content.decode()
    detail = client.get(f"/interfaces/hl7/{failed.pk}/")
    assert "OBX|1|NM|GLU01" in detail.content.decode()
    assert AuditEvent.objects.filter(
        action="interfaces.hl7.view", target_id=str(failed.pk)
    ).exists()

    client.post(f"/interfaces/hl7/{failed.pk}/rerun/")
    failed.refresh_from_db()
    assert failed.resolved_at is None  # still unmapped
    AnalyteMapping.objects.create(peer=lab_system, coding_system="L", code="GLU01", analyte="GLU")
    response = client.post(f"/interfaces/hl7/{failed.pk}/rerun/", follow=True)
    assert "accepted and stored" in response.content.decode()
    failed.refresh_from_db()
    assert failed.resolved_at is not None
    assert failed.reruns.filter(outcome="AA").count() == 1
    assert item.reports.get().is_signed
    assert AuditEvent.objects.filter(action="interfaces.hl7.rerun").count() == 2
    assert "LOC-9" not in client.get("/interfaces/hl7/").content.decode()


def test_a_township_administrator_and_a_clinician_do_not_see_the_county_laboratory_messages(
    client, personas, lab_system
):
    item = order(personas, "GLU")
    failed = handle_text(
        oru("X-1", item.accession_number, (("NOPE", "1", "mmol/L", "", "", "F"),))
    ).message
    township_admin = UserFactory(username="township_admin")
    MembershipFactory(
        user=township_admin, institution=personas.township_a, role="institution_admin"
    )
    client.force_login(township_admin)
    assert "X-1" not in client.get("/interfaces/hl7/").content.decode()
    assert client.get(f"/interfaces/hl7/{failed.pk}/").status_code == 404
    assert client.post(f"/interfaces/hl7/{failed.pk}/rerun/").status_code == 404
    client.force_login(personas.doctor)
    assert client.get("/interfaces/hl7/").status_code == 403
    assert Hl7Message.objects.get(pk=failed.pk).reruns.count() == 0
