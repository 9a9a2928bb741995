"""Feeds are imported whole or not at all, with a per-row report."""

from __future__ import annotations

import datetime
import json

import pytest

from lianxin.core.models import AuditEvent
from lianxin.indicators.actions import community_institutions, do_import_feed
from lianxin.indicators.feeds import Context
from lianxin.indicators.fhir_feed import read_bundle
from lianxin.indicators.models import EncounterRecord, FeedImport, FeedKind, SettlementRecord
from lianxin.indicators.tests.helpers import csv, lead_admin

pytestmark = pytest.mark.django_db
JAN = (datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))


def encounters(personas, actor, data: bytes, *, replace=False, period=JAN):
    return do_import_feed(
        actor=actor,
        community=personas.community_a,
        kind=FeedKind.ENCOUNTERS,
        data=data,
        filename="visits.csv",
        period_start=period[0],
        period_end=period[1],
        replace=replace,
    )


def test_a_file_with_one_bad_row_writes_nothing_and_reports_every_bad_row(personas):
    actor = lead_admin(personas)
    before = AuditEvent.objects.count()
    report, feed = encounters(
        personas,
        actor,
        csv(
            "机构编码,日期,类别,中医类,人次",
            f"{personas.county_a.code},2025-01-15,门诊,否,500",
            "NOPE-001,2025-01-15,门诊,否,5",  # unknown institution
            f"{personas.county_a.code},2025-01-15,门诊,否,-3",  # negative count
            f"{personas.county_a.code},2025-02-01,门诊,否,3",  # outside the period
            f"{personas.county_b.code},2025-01-15,门诊,否,3",  # another community's institution
        ),
    )
    assert feed is None
    assert [r.row for r in report.errors()] == [3, 4, 5, 6]
    messages = [m for r in report.errors() for _label, m in r.messages]
    assert any("NOPE-001" in m for m in messages)
    assert any("negative" in m for m in messages)
    assert any("outside the period" in m for m in messages)
    assert not FeedImport.objects.exists() and not EncounterRecord.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_overlapping_period_is_refused_unless_it_replaces_the_earlier_import(personas):
    actor = lead_admin(personas)
    first = csv("机构编码,日期,类别,人次", f"{personas.county_a.code},2025-01-15,门诊,500")
    second = csv("机构编码,日期,类别,人次", f"{personas.county_a.code},2025-01-20,门诊,700")
    _report, old = encounters(personas, actor, first)
    report, feed = encounters(personas, actor, second, period=(JAN[0], datetime.date(2025, 2, 28)))
    assert feed is None and "overlaps" in report.file_errors[0]
    assert EncounterRecord.objects.get().count == 500
    _report, new = encounters(personas, actor, second, replace=True)
    old.refresh_from_db()
    assert old.superseded_by == new and old.superseded_at is not None
    assert list(EncounterRecord.objects.values_list("count", flat=True)) == [700]
    event = AuditEvent.objects.filter(action="indicators.feed.import").last()
    assert event.after["replaced"] == [str(old.external_id)]


def test_unknown_columns_and_a_reversed_period_are_file_errors(personas):
    actor = lead_admin(personas)
    report, feed = encounters(
        personas, actor, csv("机构编码,日期,类别,颜色", "x,2025-01-01,门诊,红")
    )
    assert feed is None and "Unknown columns" in report.file_errors[0]
    with pytest.raises(Exception, match="last day"):
        encounters(personas, actor, csv("机构编码,日期,类别"), period=(JAN[1], JAN[0]))


def test_only_the_lead_hospitals_administrators_and_the_commission_import(personas):
    from django.core.exceptions import PermissionDenied

    data = csv("机构编码,日期,类别,人次", f"{personas.county_a.code},2025-01-15,门诊,5")
    with pytest.raises(PermissionDenied):
        encounters(personas, personas.admin, data)  # a township's administrator
    with pytest.raises(PermissionDenied):
        encounters(personas, personas.doctor, data)
    _report, feed = encounters(personas, personas.commission, data)
    assert feed is not None and feed.total_count == 5


def bundle(*resources) -> bytes:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
    ).encode()


def test_a_fhir_bundle_of_encounters_becomes_the_same_rows(personas):
    ctx = Context(community_institutions(personas.community_a), *JAN)
    code = personas.township_a.code
    data = bundle(
        {
            "resourceType": "Encounter",
            "id": "e1",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "serviceType": {"coding": [{"code": "tcm", "display": "中医"}]},
            "period": {"start": "2025-01-05T09:00:00+08:00"},
            "serviceProvider": {"reference": f"Organization/{code}"},
        },
        {
            "resourceType": "Encounter",
            "id": "e2",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "period": {"start": "2025-01-06"},
            "serviceProvider": {"identifier": {"value": code}},
        },
    )
    report, rows = read_bundle(FeedKind.ENCOUNTERS, data, "visits.json", ctx)
    assert not report.has_errors
    assert [(r.kind, r.is_tcm, r.on.day) for r in rows] == [
        ("outpatient", True, 5),
        ("inpatient", False, 6),
    ]
    _report, feed = do_import_feed(
        actor=personas.commission,
        community=personas.community_a,
        kind=FeedKind.ENCOUNTERS,
        data=data,
        filename="visits.json",
        period_start=JAN[0],
        period_end=JAN[1],
        rows=rows,
        fmt="fhir",
    )
    assert feed.rows == 2 and feed.format == "fhir"


def test_a_claim_without_payment_and_a_wrong_resource_are_reported_per_entry(personas):
    ctx = Context(community_institutions(personas.community_a), *JAN)
    data = bundle(
        {"resourceType": "Patient", "id": "p"},
        {
            "resourceType": "ExplanationOfBenefit",
            "id": "x",
            "status": "active",
            "type": {"coding": [{"code": "institutional"}]},
            "use": "claim",
            "patient": {"reference": "Patient/p"},
            "created": "2025-01-09",
            "insurer": {"display": "医保"},
            "provider": {"reference": f"Organization/{personas.county_a.code}"},
            "outcome": "complete",
            "insurance": [{"focal": True, "coverage": {"display": "城乡居民医保"}}],
            "total": [
                {
                    "category": {"coding": [{"code": "submitted"}]},
                    "amount": {"value": 8000, "currency": "CNY"},
                }
            ],
            "payment": {"amount": {"value": 5000, "currency": "CNY"}},
        },
    )
    report, rows = read_bundle(FeedKind.SETTLEMENTS, data, "eob.json", ctx)
    assert [r.row for r in report.errors()] == [1]
    assert len(rows) == 1 and rows[0].is_inpatient and rows[0].fund_paid == 5000
    report, rows = read_bundle(FeedKind.SETTLEMENTS, b'{"resourceType": "Bundle"', "x.json", ctx)
    assert report.file_errors and not rows
    assert not SettlementRecord.objects.exists()
