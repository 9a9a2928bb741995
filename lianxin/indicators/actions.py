"""Writes of the indicators app: importing a feed, submitting and judging evidence, setting a
target. Each runs in one transaction with its audit row."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.imports import ImportReport
from lianxin.core.permissions import Perm
from lianxin.indicators.feeds import SPECS, Context, read_feed
from lianxin.indicators.models import Evidence, FeedFormat, FeedImport, Judgement, Target
from lianxin.indicators.rules import EDITIONS, Status
from lianxin.network.models import Community, Institution

BULK_BATCH = 5000


def may_import(actor: Any, community: Community) -> bool:
    """Feeds come from the lead hospital's administrators or the health commission."""
    access = access_for(actor)
    if access.has_perm(Perm.IMPORT_FEEDS, community.lead_id):
        return True
    return (
        access.is_commission and access.has_perm(Perm.IMPORT_FEEDS) and _covers(access, community)
    )


def may_judge(actor: Any, community: Community) -> bool:
    access = access_for(actor)
    return access.has_perm(Perm.MANAGE_INDICATORS) and (
        _covers(access, community) or access.is_superuser
    )


def _covers(access: Any, community: Community) -> bool:
    from lianxin.outreach.queries import division_prefix

    code = community.division_code or ""
    return any(code.startswith(division_prefix(p)) for p in access.commission_prefixes)


def community_institutions(community: Community) -> dict[str, Institution]:
    from lianxin.outreach.queries import community_institution_ids

    ids = community_institution_ids(community)
    return {i.code: i for i in Institution.objects.filter(pk__in=ids)}


def do_import_feed(
    *,
    actor: Any,
    community: Community,
    kind: str,
    data: bytes,
    filename: str,
    period_start: Any,
    period_end: Any,
    replace: bool = False,
    note: str = "",
    fmt: str = FeedFormat.TABLE,
    rows: list[Any] | None = None,
) -> tuple[ImportReport, FeedImport | None]:
    """Import one feed file whole, or nothing: a wrong row, an overlap with an earlier import
    (unless ``replace``), or a period the wrong way round leaves the database as it was.

    ``rows`` lets the FHIR reader hand over instances it built itself from a bundle."""
    if not may_import(actor, community):
        raise PermissionDenied(_("You may not import feeds for %(name)s.") % {"name": community})
    if kind not in SPECS:
        raise ValidationError({"kind": _("Unknown kind of feed.")})
    if period_start is None or period_end is None or period_end < period_start:
        raise ValidationError({"period_end": _("The last day must not be before the first.")})
    ctx = Context(community_institutions(community), period_start, period_end)
    if rows is None:
        report, rows = read_feed(kind, data, filename, ctx)
    else:
        report = ImportReport(kind=f"feed:{kind}", filename=filename)
    if report.has_errors:
        return report, None
    if not rows:
        report.file_errors.append(_("The file has no rows to import."))
        return report, None
    spec = SPECS[kind]
    with transaction.atomic():
        overlapping = list(
            FeedImport.objects.current()
            .select_for_update()
            .filter(
                kind=kind,
                community=community,
                period_start__lte=period_end,
                period_end__gte=period_start,
            )
        )
        if overlapping and not replace:
            report.file_errors.append(
                _(
                    "This period overlaps %(imports)s imported before; tick 'replace' to replace "
                    "it, or import another period."
                )
                % {
                    "imports": "; ".join(
                        f"{i.filename} ({i.period_start}–{i.period_end})" for i in overlapping
                    )
                }
            )
            return report, None
        total = sum(getattr(r, spec.count_field) or 0 for r in rows) if spec.count_field else 0
        feed = FeedImport.objects.create(
            kind=kind,
            format=fmt,
            community=community,
            filename=filename[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            period_start=period_start,
            period_end=period_end,
            rows=len(rows),
            total_count=total,
            imported_by=actor,
            note=note[:200],
        )
        now = timezone.now()
        for old in overlapping:
            type(rows[0]).objects.filter(feed=old).delete()
            old.superseded_at, old.superseded_by = now, feed
            old.save(update_fields=["superseded_at", "superseded_by"])
        for row in rows:
            row.feed = feed
        type(rows[0]).objects.bulk_create(rows, batch_size=BULK_BATCH)
        audit.record(
            "indicators.feed.import",
            actor=actor,
            target=feed,
            institution=community.lead_id,
            after={
                "kind": kind,
                "file": feed.filename,
                "sha256": feed.sha256,
                "period": [str(period_start), str(period_end)],
                "rows": feed.rows,
                "counted": total,
                "replaced": [str(o.external_id) for o in overlapping],
            },
        )
    return report, feed


def do_submit_evidence(
    *,
    actor: Any,
    community: Community,
    edition: str,
    indicator: str,
    year: int,
    title: str,
    description: str = "",
    document: Any = None,
) -> Evidence:
    if not may_import(actor, community):
        raise PermissionDenied(_("You may not submit evidence for %(name)s.") % {"name": community})
    item = EDITIONS.get(edition) and EDITIONS[edition].indicator(indicator)
    if not item or item.status != Status.QUALITATIVE:
        raise ValidationError({"indicator": _("Evidence is for the qualitative indicators.")})
    if not title.strip():
        raise ValidationError({"title": _("Give the document a title.")})
    with transaction.atomic():
        evidence = Evidence.objects.create(
            community=community,
            edition=edition,
            indicator=item.code,
            year=year,
            title=title.strip()[:200],
            description=description[:4000],
            document=document or "",
            submitted_by=actor,
        )
        audit.record(
            "indicators.evidence.submit",
            actor=actor,
            target=evidence,
            institution=community.lead_id,
            after={"indicator": item.code, "year": year, "title": evidence.title},
        )
    return evidence


def do_judge_evidence(
    *, actor: Any, evidence: Evidence, judgement: str, note: str = ""
) -> Evidence:
    if not may_judge(actor, evidence.community):
        raise PermissionDenied(_("Only the health commission judges the evidence."))
    if judgement not in Judgement.values or judgement == Judgement.PENDING:
        raise ValidationError({"judgement": _("Choose met, partly met or not met.")})
    if judgement != Judgement.MET and not note.strip():
        raise ValidationError({"note": _("Say why the evidence falls short.")})
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
        before = {"judgement": locked.judgement, "note": locked.judgement_note}
        locked.judgement, locked.judgement_note = judgement, note.strip()[:500]
        locked.judged_by, locked.judged_at = actor, timezone.now()
        locked.save(update_fields=["judgement", "judgement_note", "judged_by", "judged_at"])
        audit.record(
            "indicators.evidence.judge",
            actor=actor,
            target=locked,
            institution=locked.community.lead_id,
            before=before,
            after={"judgement": judgement, "note": locked.judgement_note},
        )
    return locked


def do_set_target(
    *,
    actor: Any,
    community: Community,
    edition: str,
    indicator: str,
    year: int,
    value: Any,
    source: str,
) -> Target:
    if not may_judge(actor, community):
        raise PermissionDenied(_("Only the health commission sets the targets."))
    item = EDITIONS.get(edition) and EDITIONS[edition].indicator(indicator)
    if not item or item.status == Status.QUALITATIVE:
        raise ValidationError({"indicator": _("Targets are for the computed indicators.")})
    if value is None or value < 0:
        raise ValidationError({"value": _("Enter a target that is not negative.")})
    if item.percent and value > 100:
        raise ValidationError({"value": _("A percentage is at most 100.")})
    if not source.strip():
        raise ValidationError({"source": _("Say where the target comes from.")})
    with transaction.atomic():
        target, created = Target.objects.select_for_update().get_or_create(
            community=community,
            edition=edition,
            indicator=item.code,
            year=year,
            defaults={"value": value, "source": source.strip()[:200], "set_by": actor},
        )
        before = None
        if not created:
            before = {"value": str(target.value), "source": target.source}
            target.value, target.source, target.set_by = value, source.strip()[:200], actor
            target.save(update_fields=["value", "source", "set_by", "updated_at"])
        audit.record(
            "indicators.target.set",
            actor=actor,
            target=target,
            institution=community.lead_id,
            before=before,
            after=json.loads(json.dumps({"value": str(value), "source": target.source})),
        )
    return target
