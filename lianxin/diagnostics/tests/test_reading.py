"""Reading: the worklist order and filters, one reader per study, drafting by a resident and
signing by an attending, immutable signed reports with amendments, the report back with the
orderer, overflow to the tertiary pool, turnaround times."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.core.models import Notification
from lianxin.core.workflow import Status
from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ExamOrder, Report
from lianxin.diagnostics.queries import turnaround, worklist
from lianxin.diagnostics.tests.helpers import claimed, drafted, order, performed, reported
from lianxin.patients.models import Patient

pytestmark = pytest.mark.django_db


def _worklist(centre, **kwargs):
    return list(
        worklist(
            ExamOrder.objects.visible_to(centre.attending),
            institution_ids=[centre.imaging.institution_id],
            **kwargs,
        )
    )


def test_the_worklist_puts_critical_flags_first_then_urgency_then_waiting_time(personas, centre):
    old_routine = performed(personas, centre, "CT-CHEST")
    new_routine = performed(personas, centre, "DR-CHEST")
    ExamOrder.objects.filter(pk=old_routine.pk).update(
        performed_at=timezone.now() - datetime.timedelta(hours=5)
    )
    stat = performed(personas, centre, "CT-HEAD", priority="stat")
    critical = order(personas, "US-ABD")
    actions.do_perform_exam(actor=centre.resident, order=critical, critical_suspected=True)
    assert [o.pk for o in _worklist(centre)] == [
        critical.pk,
        stat.pk,
        old_routine.pk,
        new_routine.pk,
    ]


def test_the_worklist_filters_by_modality_priority_site_and_state(personas, centre):
    ct = performed(personas, centre, "CT-CHEST", priority="urgent")
    dr = performed(personas, centre, "DR-CHEST")
    waiting_only = order(personas, "US-ABD")
    assert [o.pk for o in _worklist(centre, modality="CT")] == [ct.pk]
    assert [o.pk for o in _worklist(centre, priority="routine")] == [dr.pk]
    assert _worklist(centre, site=personas.county_b.pk) == []
    assert [o.pk for o in _worklist(centre, state="ordered")] == [waiting_only.pk]
    actions.do_claim_study(actor=centre.resident, order=dr)
    assert [o.pk for o in _worklist(centre, state="reading")] == [dr.pk]
    assert [o.pk for o in _worklist(centre)] == [ct.pk]


def test_reported_studies_list_the_latest_signed_first(personas, centre):
    older = reported(personas, centre, "CT-CHEST", priority="stat")
    critical = reported(personas, centre, "DR-CHEST")
    newer = reported(personas, centre, "CT-HEAD")
    now = timezone.now()
    for item, hours in ((older, 30), (critical, 20), (newer, 1)):
        ExamOrder.objects.filter(pk=item.pk).update(signed_at=now - datetime.timedelta(hours=hours))
    ExamOrder.objects.filter(pk=critical.pk).update(has_critical=True)
    # Done work: neither the critical flag nor the priority puts an old report on top.
    assert [o.pk for o in _worklist(centre, state="reported")] == [
        newer.pk,
        critical.pk,
        older.pk,
    ]


def test_the_worklist_counts_at_most_its_cap(personas, centre):
    from lianxin.diagnostics.views.common import CappedPaginator

    for code in ("CT-CHEST", "DR-CHEST", "CT-HEAD"):
        performed(personas, centre, code)
    rows = ExamOrder.objects.order_by("id")
    small = CappedPaginator(rows, 2)
    assert small.count == 3 and small.num_pages == 2 and not small.is_capped
    capped = CappedPaginator(rows, 1)
    capped.cap = 2
    assert capped.count == 2 and capped.num_pages == 2 and capped.is_capped
    assert [o.pk for o in capped.get_page(2)] == [rows[1].pk]


def test_overdue_studies_are_flagged(personas, centre):
    item = performed(personas, centre, "CT-CHEST", priority="stat")
    later = timezone.now() + datetime.timedelta(hours=1)
    assert item.is_overdue(later)
    assert [o.pk for o in _worklist(centre, overdue=True, now=later)] == [item.pk]
    assert _worklist(centre, overdue=True) == []


def test_a_second_reader_cannot_claim_a_claimed_study(personas, centre):
    item = performed(personas, centre)
    actions.do_claim_study(actor=centre.resident, order=item)
    stale = ExamOrder.objects.get(pk=item.pk)
    with pytest.raises(Conflict):
        actions.do_claim_study(actor=centre.second, order=stale)
    item.refresh_from_db()
    assert item.owner == centre.resident


def test_a_stale_copy_of_an_unclaimed_study_still_cannot_double_claim(personas, centre):
    item = performed(personas, centre)
    first = ExamOrder.objects.get(pk=item.pk)
    second = ExamOrder.objects.get(pk=item.pk)
    actions.do_claim_study(actor=centre.resident, order=first)
    with pytest.raises(Conflict):
        actions.do_claim_study(actor=centre.second, order=second)


def test_the_site_cannot_claim_a_study_for_the_centre(personas, centre):
    item = performed(personas, centre)
    with pytest.raises(NotAllowed):
        actions.do_claim_study(actor=personas.doctor, order=item)


def test_a_report_on_an_unclaimed_study_is_refused_and_nothing_is_written(personas, centre):
    item = performed(personas, centre)
    with pytest.raises(Conflict):
        actions.do_draft_report(actor=centre.resident, order=item, impression="未见异常")
    assert not Report.objects.exists()


def test_only_the_claiming_reader_drafts(personas, centre):
    item = claimed(personas, centre)
    with pytest.raises(Conflict):
        actions.do_draft_report(actor=centre.second, order=item, impression="未见异常")


def test_a_resident_drafts_and_an_attending_signs(personas, centre):
    item = drafted(personas, centre)
    with pytest.raises(NotAllowed):
        actions.do_sign_report(actor=centre.resident, order=item)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert Report.objects.get(order=item).status == "draft"
    report = actions.do_sign_report(actor=centre.attending, order=item)
    assert report.status == "signed" and report.author == centre.resident
    assert report.signed_by == centre.attending
    item.refresh_from_db()
    assert item.status == Status.COMPLETED and item.business_status == "reported"
    assert item.signed_at == report.signed_at


def test_signing_without_a_draft_is_refused(personas, centre):
    item = claimed(personas, centre)
    with pytest.raises(ActionError):
        actions.do_sign_report(actor=centre.attending, order=item)


def test_the_signed_report_goes_back_to_the_orderer(
    personas, centre, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reported(personas, centre)
    assert Notification.objects.filter(recipient=personas.doctor, verb="report").exists()


def test_a_signed_report_is_never_overwritten(personas, centre):
    item = reported(personas, centre)
    report = Report.objects.get(order=item)
    report.impression = "改了"
    with pytest.raises(Conflict):
        report.save()
    with pytest.raises(ActionError):
        actions.do_draft_report(actor=centre.resident, order=item, impression="再写")
    assert Report.objects.get(order=item).impression == "胸部CT未见明显异常"


def test_an_amendment_is_a_new_version_with_a_reason_and_both_stay(
    personas, centre, django_capture_on_commit_callbacks
):
    item = reported(personas, centre)
    with pytest.raises(ValidationError) as exc:
        actions.do_amend_report(
            actor=centre.attending, order=item, reason="", impression="右肺小结节"
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(NotAllowed):
        actions.do_amend_report(
            actor=centre.resident, order=item, reason="漏报", impression="右肺小结节"
        )
    with django_capture_on_commit_callbacks(execute=True):
        amended = actions.do_amend_report(
            actor=centre.attending, order=item, reason="漏报右肺结节", impression="右肺小结节"
        )
    versions = list(Report.objects.filter(order=item).values_list("version", "impression"))
    assert versions == [(1, "胸部CT未见明显异常"), (2, "右肺小结节")]
    assert amended.amendment_reason == "漏报右肺结节"
    assert Notification.objects.filter(recipient=personas.doctor, verb="amend").exists()


def test_lab_values_in_a_wrong_unit_are_refused(personas, centre):
    item = claimed(personas, centre, "ELEC", reader=centre.resident)
    with pytest.raises(ValidationError) as exc:
        actions.do_draft_report(
            actor=centre.resident,
            order=item,
            impression="低钾",
            values=[actions.Value("K", "3.1", "mg/dL")],
        )
    assert "mmol/L" in exc.value.message_dict["values"][0]
    with pytest.raises(ValidationError):
        actions.do_draft_report(
            actor=centre.resident,
            order=item,
            impression="x",
            values=[actions.Value("HGB", "120", "g/L")],
        )
    with pytest.raises(ValidationError):
        actions.do_draft_report(
            actor=centre.resident,
            order=item,
            impression="x",
            values=[actions.Value("K", "abc", "mmol/L")],
        )
    assert not Report.objects.exists()


def test_the_orderer_viewing_the_report_is_timestamped_once(personas, centre):
    item = reported(personas, centre)
    assert actions.do_mark_report_viewed(actor=personas.doctor, order=item) is True
    first = ExamOrder.objects.get(pk=item.pk).viewed_at
    assert first is not None
    assert actions.do_mark_report_viewed(actor=personas.colleague, order=item) is False
    assert ExamOrder.objects.get(pk=item.pk).viewed_at == first
    with pytest.raises(NotAllowed):
        actions.do_mark_report_viewed(actor=centre.attending, order=item)


def test_an_overdue_unclaimed_study_overflows_to_the_tertiary_pool(personas, centre):
    item = performed(personas, centre)
    with pytest.raises(ActionError):
        actions.do_overflow_study(actor=centre.attending, order=item)
    later = timezone.now() + datetime.timedelta(days=2)
    actions.do_overflow_study(actor=centre.attending, order=item, now=later)
    item.refresh_from_db()
    assert item.performer_institution == centre.tertiary
    assert item.business_status == "overflowed" and item.centre == centre.imaging
    # The pool reads and signs it; the centre still sees the order.
    assert ExamOrder.objects.visible_to(centre.tertiary_reader).filter(pk=item.pk).exists()
    assert ExamOrder.objects.visible_to(centre.attending).filter(pk=item.pk).exists()
    assert (
        Patient.objects.visible_to(centre.tertiary_reader).filter(pk=personas.patient.pk).exists()
    )
    with pytest.raises(NotAllowed):
        actions.do_claim_study(actor=centre.attending, order=ExamOrder.objects.get(pk=item.pk))
    actions.do_claim_study(actor=centre.tertiary_reader, order=item)
    assert item.owner == centre.tertiary_reader


def test_a_claimed_study_does_not_overflow(personas, centre):
    item = claimed(personas, centre)
    with pytest.raises(ActionError):
        actions.do_overflow_study(actor=centre.attending, order=item, force=True)


def test_turnaround_times_per_centre_and_site(personas, centre):
    item = reported(personas, centre)
    actions.do_mark_report_viewed(actor=personas.doctor, order=item)
    (row,) = turnaround(ExamOrder.objects.all(), by="centre")
    assert row["name"] == centre.imaging.name and row["exams"] == 1
    assert row["to_signed"] is not None and row["to_viewed"] is not None
    (site,) = turnaround(ExamOrder.objects.all(), by="site")
    assert site["name"] == personas.township_a.name


def test_an_overdue_study_escalates_to_the_centres_head_then_its_duty_officer(
    personas, centre, django_capture_on_commit_callbacks
):
    from lianxin.core.workflow import escalate_overdue
    from lianxin.testing.factories import MembershipFactory, UserFactory

    head = UserFactory(username="centre_head")
    MembershipFactory(
        user=head, institution=personas.county_a, department=centre.imaging, role="department_head"
    )
    duty = UserFactory(username="centre_duty")
    MembershipFactory(user=duty, institution=personas.county_a, role="duty_officer")
    item = performed(personas, centre, priority="stat")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue(now + datetime.timedelta(minutes=31))
    assert Notification.objects.filter(recipient=head, verb="overdue").exists()
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue(now + datetime.timedelta(minutes=62))
    assert Notification.objects.filter(recipient=duty, verb="overdue").exists()
    item.refresh_from_db()
    assert item.escalation_level == 2


def test_a_long_overdue_order_stops_escalating_at_the_duty_officer(
    personas, centre, django_capture_on_commit_callbacks
):
    from lianxin.core.workflow import escalate_overdue

    item = order(personas, priority="routine")
    now = timezone.now()
    # A routine order left unperformed for two months, the escalation task running daily.
    with django_capture_on_commit_callbacks(execute=True):
        for hours in range(8 * 24, 60 * 24, 24):
            escalate_overdue(now + datetime.timedelta(hours=hours))
    item.refresh_from_db()
    assert item.escalation_level == 2 and item.is_open
    steps = list(item.history.values_list("name", flat=True))
    assert steps == ["create", "escalate", "escalate"]


def test_every_diagnostics_workflow_ends_at_the_duty_officer():
    from lianxin.diagnostics.models import CriticalResult

    for model in (ExamOrder, CriticalResult):
        assert model.workflow.max_escalation_level == 2, model.__name__
