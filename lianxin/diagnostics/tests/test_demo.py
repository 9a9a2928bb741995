"""The demo year of exams: the four centre types, critical results, recognitions, work waiting
for the demo accounts, and consistency with what the actions would have written."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count

from lianxin.core.workflow import Status
from lianxin.demo.context import DemoOptions
from lianxin.diagnostics.models import (
    CriticalResult,
    ExamOrder,
    Recognition,
    Report,
    ResultValue,
)
from lianxin.diagnostics.rules import ANALYTES
from lianxin.testing.demo import module_county

pytestmark = pytest.mark.django_db

OPTIONS = DemoOptions(residents=2000, villages=22, seed=7, today=datetime.date(2026, 6, 1))


county = module_county(OPTIONS)


def test_the_demo_holds_a_year_of_exams_across_the_four_centre_types(county):
    types = dict(ExamOrder.objects.values_list("centre_type").annotate(n=Count("id")))
    assert set(types) == {"imaging", "ecg", "laboratory", "pathology"}
    assert ExamOrder.objects.count() >= 700
    assert CriticalResult.objects.exists()
    assert Recognition.objects.filter(decision="recognised").exists()
    accessions = ExamOrder.objects.values_list("accession_number", flat=True)
    assert len(set(accessions)) == len(accessions)


def test_demo_rows_agree_with_what_the_actions_write(county):
    for order in ExamOrder.objects.filter(status=Status.COMPLETED)[:200]:
        names = list(order.transitions.order_by("at", "id").values_list("name", flat=True))
        # "report_result": a result the laboratory system sent (HL7), signed by it.
        assert names[0] == "create" and names[-1] in {"report", "report_result"}
        assert order.signed_at and order.performed_at <= order.signed_at
        assert order.transitions.order_by("-version").first().version == order.version
    assert not ExamOrder.objects.filter(status=Status.COMPLETED, due_at__isnull=False).exists()
    for value in ResultValue.objects.all()[:300]:
        assert value.unit == ANALYTES[value.analyte].unit
    assert not Report.objects.filter(status="signed", signed_by__isnull=True).exists()


def test_the_demo_accounts_find_work_waiting(county):
    imaging = county.accounts["imaging"][0]
    waiting = ExamOrder.objects.visible_to(imaging).filter(status__in=["requested", "in-progress"])
    assert waiting.exists()


def test_the_demo_laboratory_results_arrived_over_hl7_through_the_listener_handling(county):
    from lianxin.interfaces.models import Hl7Message

    accepted = Hl7Message.objects.filter(direction="in", outcome="AA").select_related("order")
    assert accepted.count() >= 4
    assert all(m.raw.startswith("MSH|") and m.message_type == "ORU^R01" for m in accepted)
    orders = {m.order for m in accepted}
    for item in orders:
        assert item.status == Status.COMPLETED
        report = item.reports.get(version=1)
        assert report.is_signed and report.values.exists()
        assert report.signed_by.hl7_peer.sending_application == "LIS"
    # One order had a preliminary result first (the draft, then signed: one version).
    preliminary = [m for m in accepted if "|P|||" in m.raw]
    assert len(preliminary) == 1
    assert preliminary[0].order.reports.count() == 1
    # One carried a critical value, which started a critical result.
    critical = ResultValue.objects.filter(report__order__in=orders, flag="C")
    assert critical.count() == 1
    assert CriticalResult.objects.filter(
        order=critical.get().report.order, analyte=critical.get().analyte
    ).exists()


def test_the_demo_imaging_orders_hold_images_stored_through_the_dicom_path(county):
    from lianxin.interfaces.dicom.reconcile import candidate_orders, queue_for
    from lianxin.interfaces.dicom.viewer import viewer_config
    from lianxin.interfaces.models import Instance, LinkStatus, Study

    imaging = county.accounts["imaging"][0]
    # One chest CT typed in by hand at the console waits for the centre to attach it, and its
    # order is among those offered.
    (lost,) = queue_for(imaging)
    assert lost.modalities == "CT" and lost.order_id is None
    assert candidate_orders(imaging, lost).filter(exam__code="CT-CHEST").exists()
    studies = (
        Study.objects.exclude(link_status=LinkStatus.UNMATCHED)
        .select_related("order")
        .order_by("id")
    )
    assert studies.count() >= 5
    # Linked by accession number as C-STORE links them, with the worklist's Study UID.
    assert {s.link_status for s in studies} == {LinkStatus.ACCESSION}
    assert all(s.order.accession_number == s.accession_number for s in studies)
    assert all(s.study_uid == s.order.study_uid for s in studies)
    modalities = {m for s in studies for m in s.modalities.split("\\")}
    assert modalities == {"CT", "MR", "US"}
    statuses = {s.order.status for s in studies}
    assert Status.COMPLETED in statuses and Status.IN_PROGRESS in statuses
    # Real pixel data, in storage.
    for instance in Instance.objects.all():
        with instance.file.open("rb") as handle:
            assert len(handle.read()) == instance.size > 5000
    # The reader finds a study waiting with a prior study of the same patient to compare.
    waiting = [
        s.order
        for s in studies
        if s.order.status == Status.IN_PROGRESS and s.order.owner_id is None
    ]
    configs = [viewer_config(imaging, o) for o in waiting]
    assert all(c and c["current"][0]["series"][0]["urls"] for c in configs)
    compared = [c for c in configs if c["priors"]]
    assert compared and compared[0]["priors"][0]["modalities"] == "CT"
    # The order moved to "performed" through the diagnostics actions: a history step.
    order = next(o for o in waiting if o.transitions.filter(name="perform").exists())
    assert order.image_count >= 1


def test_the_demo_ct_finds_an_order_on_its_worklist(county):
    from pydicom.dataset import Dataset

    from lianxin.interfaces.dicom.worklist import matching_orders
    from lianxin.network.models import ApplicationEntity

    step = Dataset()
    step.Modality = "CT"
    query = Dataset()
    query.ScheduledProcedureStepSequence = [step]
    ct = ApplicationEntity.objects.get(ae_title="CT_YXZX")
    items = list(matching_orders(ct, query))
    assert items and all(o.exam.modality == "CT" and not o.studies.exists() for o in items)


def test_demo_up_referrals_link_the_patients_earlier_results_and_the_receiver_opens_them(county):
    from django.test import Client
    from django.urls import reverse

    from lianxin.core.audit import AuditEvent
    from lianxin.referrals.models import ReferralResult

    links = ReferralResult.objects.select_related("referral", "order")
    assert links.exists()
    for link in links[:200]:
        referral, order = link.referral, link.order
        assert order.patient_id == referral.patient_id
        assert order.requester_institution_id == referral.requester_institution_id
        assert order.signed_at < referral.created_at == link.created_at
        assert link.linked_by_id == referral.requester_id
    audited = AuditEvent.objects.filter(action="referrals.referral.link_results")
    assert audited.count() == links.values("referral").distinct().count()
    # The receiving side opens a linked result through the referral.
    from lianxin.referrals.models import Referral

    link = links.filter(referral__status__in=["requested", "received", "accepted"]).first()
    link = link or links.first()
    members = link.referral.performer_institution.memberships.select_related("user")
    receiver = next(
        m.user
        for m in members
        if Referral.objects.visible_to(m.user).filter(pk=link.referral_id).exists()
    )
    client = Client()
    client.force_login(receiver)
    url = reverse(
        "referrals:linked-result",
        kwargs={"id": link.referral.external_id, "result_id": link.external_id},
    )
    assert client.get(url).status_code == 200


def test_the_demo_shows_the_features_issue_11_asked_for(county):
    """Open critical results waiting for acknowledgement, pathology specimens, a break-glass
    access and results linked to referrals."""
    from lianxin.core.audit import AuditEvent
    from lianxin.core.workflow import OPEN_STATUSES
    from lianxin.diagnostics.models import Specimen
    from lianxin.referrals.models import ReferralResult

    assert CriticalResult.objects.filter(status__in=OPEN_STATUSES).exists()
    # A county this small has one open pathology order; the full demo has more, in more states.
    assert Specimen.objects.exists()
    assert AuditEvent.objects.filter(action="patient.break_glass").exists()
    assert ReferralResult.objects.exists()
