"""Where can this patient be treated soonest, now: the destination advice.

``advise(origin, condition, at, networks)`` ranks the sites that can give the condition's
time-critical treatment by minutes from the call to the treatment starting (travel, from the
precomputed table or the straight-line estimate, plus the guideline's door-to-treatment time),
says why in words (who is there, stationed until when; which rooms and equipment), what is
missing at the sites it passes over (a CT out of service since a day, a posting that ended),
and the plans where the capable site is far: fibrinolysis then transfer for STEMI, thrombolysis
then thrombectomy for stroke, stabilise-then-transfer for the others.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lianxin.core.errors import ActionError
from lianxin.emergency import rules, tables
from lianxin.emergency.models import RoadNetwork
from lianxin.emergency.roads import straight_line_m
from lianxin.emergency.rules import CONDITIONS, Condition, Treatment
from lianxin.network.models import Capability, Equipment, EquipmentStatusChange, Institution, Tier
from lianxin.network.queries import equipment_in_use
from lianxin.outreach.queries import Provider, SiteCapabilities, Source, capabilities_many

RECENT_POSTING_DAYS = 90  # a posting that ended within this many days is worth mentioning


class AdviceError(ActionError):
    """A question the advice cannot answer as asked (a 4xx with this message)."""

    status = 400


@dataclass
class Origin:
    lat: float
    lon: float
    label: str = ""
    village: Institution | None = None


@dataclass
class Option:
    """One destination for one treatment."""

    site: Institution
    treatment: Treatment
    travel_minutes: float
    reasons: list[str] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)  # facilities of the full treatment missing
    column: int | None = None

    @property
    def minutes(self) -> float:
        return self.travel_minutes + self.treatment.door_minutes

    @property
    def credited(self) -> Provider | None:
        """The stationed expert the site owes this treatment to (only posted people bring it)."""
        people = [p for p in self.providers if p.source != Source.EQUIPMENT]
        if people and all(p.source == Source.POSTED for p in people):
            return people[0]
        return None


@dataclass
class Plan:
    """Treat first at one site, then transfer to another."""

    kind: str  # "fallback", "stabilise", "drip_and_ship", "complete"
    first: Option
    then: Option | None
    then_minutes: float | None  # call → treatment at the second site
    text: str


@dataclass
class Advice:
    condition: Condition
    origin: Origin
    at: datetime.datetime
    estimate: bool
    snap_metres: float | None
    options: list[Option]  # ranked: the advised destination first
    plans: list[Plan]
    missing: list[str]
    default: Option | None
    network: RoadNetwork | None
    node: int | None = None
    notes: list[str] = field(default_factory=list)
    loaded: Any = None

    @property
    def advised(self) -> Option | None:
        return self.options[0] if self.options else None

    @property
    def minutes_saved(self) -> float | None:
        if self.advised is None or self.default is None:
            return None
        # Both to a tenth first, as a case stores them: the desk and the case say the same.
        return max(0.0, round(round(self.default.minutes, 1) - round(self.advised.minutes, 1), 1))

    def route(self, option: Option) -> list[tuple[float, float]]:
        """The road route to an option, as (lat, lon) points (straight for an estimate)."""
        if self.estimate or self.loaded is None or option.column is None or self.node is None:
            return [
                (self.origin.lat, self.origin.lon),
                (float(option.site.latitude), float(option.site.longitude)),
            ]
        graph = self.loaded.graph
        nodes = self.loaded.table.route(self.node, option.column)
        points = [(self.origin.lat, self.origin.lon)]
        points += [(float(graph.lat[n]), float(graph.lon[n])) for n in nodes]
        points.append((float(option.site.latitude), float(option.site.longitude)))
        return points


def condition_for(code: str) -> Condition:
    try:
        return CONDITIONS[code]
    except KeyError:
        raise AdviceError(
            _("Unknown condition %(code)s; choose one of: %(codes)s.")
            % {"code": code or "—", "codes": ", ".join(CONDITIONS)},
            code="unknown_condition",
        ) from None


def network_for(lat: float, lon: float, networks) -> RoadNetwork | None:
    """The network whose box holds the point; None when there is no network at all.

    Raises ``AdviceError`` for a point outside every network there is."""
    rows = list(networks.defer("graph_data", "table_data"))
    if not rows:
        return None
    margin = rules.MAX_SNAP_METRES / 111_000
    for row in rows:
        if (
            row.south - margin <= lat <= row.north + margin
            and row.west - margin <= lon <= row.east + margin
        ):
            return row
    raise AdviceError(
        _("The place (%(lat).5f, %(lon).5f) lies outside the road network.")
        % {"lat": lat, "lon": lon},
        code="outside_network",
    )


def _site_reasons(
    site_caps: SiteCapabilities, treatment: Treatment, capabilities: dict[str, Capability]
) -> tuple[bool, list[Provider], list[str], list[str]]:
    """Whether a site can give the treatment now, who brings it, the reasons in words and the
    facilities of the full procedure it lacks (a partial qualification)."""
    code = treatment.capability
    if not code:
        return True, [], [_("emergency room")], []
    found = site_caps.available.get(code)
    partial: list[str] = []
    if found is None and treatment.facilities is not None:
        blocked = next((b for b in site_caps.blocked if b.capability.code == code), None)
        if blocked is not None and not {m.code for m in blocked.missing} & set(
            treatment.facilities
        ):
            providers = blocked.providers
            partial = [m.name for m in blocked.missing]
            found_providers = providers
        else:
            return False, [], [], []
    elif found is None:
        return False, [], [], []
    else:
        found_providers = found.providers
    reasons = []
    for provider in found_providers:
        if provider.source == Source.POSTED:
            reasons.append(
                _("%(name)s (%(title)s, %(home)s) stationed here until %(end)s")
                % {
                    "name": provider.practitioner_name,
                    "title": provider.title,
                    "home": provider.home_institution,
                    "end": provider.posting_ends_on.isoformat(),
                }
            )
        elif provider.source == Source.STAFF:
            reasons.append(
                _("%(name)s (%(title)s) on the staff")
                % {"name": provider.practitioner_name, "title": provider.title}
            )
    capability = capabilities.get(code)
    if capability is not None and capability.kind == "facility":
        facility_codes = [code]
    elif treatment.facilities is not None:
        facility_codes = list(treatment.facilities)
    else:
        facility_codes = [c.code for c in capability.requires.all()] if capability else []
    for facility in facility_codes:
        if facility in site_caps.available:
            reasons.append(_("%(facility)s available") % {"facility": capabilities[facility].name})
    return True, list(found_providers), reasons, partial


def _travel(
    origin: Origin, sites: list[Institution], network: RoadNetwork | None
) -> tuple[dict[int, float], dict[int, int], Any, float | None, int | None]:
    """Minutes from the origin to each site, their table columns, the loaded table, the snap."""
    if network is None:
        minutes = {}
        for site in sites:
            metres = straight_line_m(
                origin.lat, origin.lon, float(site.latitude), float(site.longitude)
            )
            minutes[site.pk] = metres * rules.DETOUR_FACTOR / (rules.ESTIMATE_SPEED_KMH * 1000 / 60)
        return minutes, {}, None, None, None
    loaded = tables.load(network)
    if loaded.table is None:
        raise AdviceError(
            _("The travel-time table of this road network is not built yet."), code="not_ready"
        )
    snap = loaded.table.snap(loaded.graph, origin.lat, origin.lon)
    if snap.metres > rules.MAX_SNAP_METRES:
        raise AdviceError(
            _("%(place)s has no road within %(km).0f km: it is not on the road network.")
            % {"place": origin.label or _("This place"), "km": rules.MAX_SNAP_METRES / 1000},
            code="no_road",
        )
    row = loaded.table.minutes_from(snap.node)
    columns = {int(pk): i for i, pk in enumerate(loaded.table.site_ids)}
    minutes = {}
    for site in sites:
        column = columns.get(site.pk)
        if column is not None and np.isfinite(row[column]):
            minutes[site.pk] = float(row[column]) + snap.minutes
    return minutes, columns, loaded, snap.metres, snap.node


def _between(
    loaded: Any,
    columns: dict[int, int],
    a: Institution,
    b: Institution,
    network: RoadNetwork | None,
) -> float | None:
    """Minutes from site a to site b (a transfer)."""
    if network is None or loaded is None:
        metres = straight_line_m(
            float(a.latitude), float(a.longitude), float(b.latitude), float(b.longitude)
        )
        return metres * rules.DETOUR_FACTOR / (rules.ESTIMATE_SPEED_KMH * 1000 / 60)
    ca, cb = columns.get(a.pk), columns.get(b.pk)
    if ca is None or cb is None:
        return None
    node = int(loaded.table.site_nodes[ca])
    if node < 0:
        return None
    value = float(loaded.table.times[node, cb])
    return value if math.isfinite(value) else None


def _fmt_minutes(value: float) -> str:
    return _("%(n)d min") % {"n": round(value)}


def advise(
    origin: Origin,
    condition_code: str,
    *,
    networks,
    at: datetime.datetime | None = None,
    among: list[int] | None = None,
) -> Advice:
    """The advice for a patient at ``origin`` with the condition, at ``at`` (default now).

    ``networks`` is the queryset of road networks the asker may use (already scoped);
    ``among`` narrows the destinations to institution ids (the asker's registry reach).
    """
    condition = condition_for(condition_code)
    at = at or timezone.now()
    network = network_for(origin.lat, origin.lon, networks)
    sites_qs = (
        tables.destination_sites(network)
        if network is not None
        else Institution.objects.filter(
            is_active=True,
            tier__in=list(tables.DESTINATION_TIERS),
            latitude__isnull=False,
            longitude__isnull=False,
        )
    )
    if among is not None:
        sites_qs = sites_qs.filter(pk__in=among)
    sites = list(sites_qs)
    by_id = {s.pk: s for s in sites}
    minutes, columns, loaded, snap_m, node = _travel(origin, sites, network)

    treatments = [condition.definitive]
    for extra in (condition.fallback, condition.stabilise):
        if extra is not None:
            treatments.append(extra)
    if condition.direct_if_within is not None:
        treatments.append(rules.THROMBECTOMY)
    codes = {t.capability for t in treatments if t.capability}
    # Full procedures for partial qualifications (what the transfer completes).
    caps = {
        c.code: c
        for c in Capability.objects.prefetch_related("requires").filter(
            code__in=codes | {f for t in treatments for f in (t.facilities or ())}
        )
    }
    for c in list(caps.values()):
        for needed in c.requires.all():
            caps.setdefault(needed.code, needed)
    reachable = [pk for pk in minutes if pk in by_id]
    found = capabilities_many(reachable, at, only=sorted(codes)) if codes else {}

    def options_for(treatment: Treatment) -> list[Option]:
        out = []
        for pk in reachable:
            site_caps = found.get(pk) or SiteCapabilities(institution_id=pk, on=at.date())
            ok, providers, reasons, partial = _site_reasons(site_caps, treatment, caps)
            if ok:
                out.append(
                    Option(
                        by_id[pk],
                        treatment,
                        minutes[pk],
                        reasons,
                        providers,
                        partial,
                        columns.get(pk),
                    )
                )
        out.sort(key=lambda o: (o.minutes, o.site.name))
        return out

    definitive = options_for(condition.definitive)
    plans: list[Plan] = []
    notes: list[str] = []
    ranked = list(definitive)

    def onward(first: Option, targets: list[Option], kind: str, text: str) -> Plan | None:
        best = None
        for target in targets:
            if target.site.pk == first.site.pk:
                continue
            hop = _between(loaded, columns, first.site, target.site, network)
            if hop is None:
                continue
            total = first.minutes + hop + target.treatment.door_minutes
            if best is None or total < best[0]:
                best = (total, target)
        if best is None:
            return None
        return Plan(kind, first, best[1], best[0], text)

    if condition.fallback is not None and condition.limit_minutes is not None:
        best = definitive[0] if definitive else None
        if best is None or best.minutes > condition.limit_minutes:
            lysis = options_for(condition.fallback)
            if lysis:
                notes.append(
                    _("No %(t)s within %(n)d minutes of the call: %(f)s first, then transfer.")
                    % {
                        "t": condition.definitive.name,
                        "n": condition.limit_minutes,
                        "f": condition.fallback.name,
                    }
                )
                ranked = lysis + [
                    o for o in definitive if o.site.pk not in {x.site.pk for x in lysis}
                ]
                plan = onward(
                    lysis[0],
                    definitive,
                    "fallback",
                    _("%(f)s at %(a)s, then %(t)s at the PCI centre within %(h1)d–%(h2)d hours")
                    % {
                        "f": condition.fallback.name,
                        "a": lysis[0].site.name,
                        "t": condition.definitive.name,
                        "h1": rules.PCI_AFTER_LYSIS_HOURS[0],
                        "h2": rules.PCI_AFTER_LYSIS_HOURS[1],
                    },
                )
                if plan:
                    plans.append(plan)
    if condition.direct_if_within is not None and definitive:
        centres = options_for(rules.THROMBECTOMY)
        if centres:
            nearest = definitive[0]
            direct = centres[0]
            lysis_there = next((o for o in definitive if o.site.pk == direct.site.pk), None)
            delay = (lysis_there.minutes if lysis_there else direct.minutes) - nearest.minutes
            if lysis_there and delay <= condition.direct_if_within:
                ranked = [lysis_there] + [o for o in definitive if o is not lysis_there]
                notes.append(
                    _("The thrombectomy centre delays thrombolysis by only %(n)s: go there.")
                    % {"n": _fmt_minutes(max(delay, 0))}
                )
            else:
                plan = onward(
                    nearest,
                    centres,
                    "drip_and_ship",
                    _("Thrombolysis at %(a)s, then thrombectomy if a large vessel is shut")
                    % {"a": nearest.site.name},
                )
                if plan:
                    plans.append(plan)
    if condition.stabilise is not None:
        first_def = definitive[0] if definitive else None
        if first_def is None or first_def.travel_minutes > condition.stabilise_after:
            stabilisers = options_for(condition.stabilise)
            if stabilisers and (first_def is None or stabilisers[0].minutes < first_def.minutes):
                plan = onward(
                    stabilisers[0],
                    definitive,
                    "stabilise",
                    _("%(s)s at %(a)s, then transfer")
                    % {"s": condition.stabilise.name, "a": stabilisers[0].site.name},
                )
                plans.append(
                    plan
                    or Plan(
                        "stabilise",
                        stabilisers[0],
                        None,
                        None,
                        _("%(s)s at %(a)s")
                        % {"s": condition.stabilise.name, "a": stabilisers[0].site.name},
                    )
                )
    if ranked and ranked[0].partial:
        full = Treatment(
            ranked[0].treatment.capability,
            ranked[0].treatment.name,
            ranked[0].treatment.door_minutes,
            ranked[0].treatment.source,
        )
        complete = [o for o in options_for(full) if not o.partial]
        plan = onward(
            ranked[0],
            complete,
            "complete",
            _("%(t)s at %(a)s (no %(m)s there), then transfer")
            % {
                "t": ranked[0].treatment.name,
                "a": ranked[0].site.name,
                "m": "、".join(ranked[0].partial),
            },
        )
        if plan:
            plans.append(plan)

    # Against the county hospital as the advice ranks it: for a STEMI far from any PCI centre,
    # its fibrinolysis, the treatment the patient would have had there.
    default = _default_option(ranked, condition, minutes, by_id, found, caps, columns)
    missing = _missing(condition, ranked, minutes, by_id, at, treatments)
    if network is None:
        notes.insert(
            0,
            _("Estimate: no road network; straight-line distance × %(f).1f at %(s)d km/h.")
            % {"f": rules.DETOUR_FACTOR, "s": rules.ESTIMATE_SPEED_KMH},
        )
    return Advice(
        condition=condition,
        origin=origin,
        at=at,
        estimate=network is None,
        snap_metres=snap_m,
        options=ranked,
        plans=plans,
        missing=missing,
        default=default,
        network=network,
        node=node,
        notes=notes,
        loaded=loaded,
    )


def _default_option(definitive, condition, minutes, by_id, found, caps, columns) -> Option | None:
    """The county hospital's option among the ranked ones (the nearest county hospital that
    can treat): the destination a case is measured against."""
    county = sorted(
        (pk for pk in minutes if by_id[pk].tier == rules.DEFAULT_DESTINATION_TIER),
        key=lambda pk: minutes[pk],
    )
    for pk in county:
        hit = next((o for o in definitive if o.site.pk == pk), None)
        if hit is not None:
            return hit
    return None


def _missing(
    condition: Condition,
    ranked: list[Option],
    minutes: dict[int, float],
    by_id: dict[int, Institution],
    at: datetime.datetime,
    treatments: list[Treatment],
) -> list[str]:
    """What is missing at the sites nearer than the advised one, in words."""
    from lianxin.outreach.models import Posting

    limit = math.inf if not ranked else ranked[0].travel_minutes
    nearer = [pk for pk, m in minutes.items() if m < limit and pk in by_id]
    nearer = [pk for pk in nearer if by_id[pk].tier != Tier.COMMUNITY_CENTRE][:30]
    if not nearer:
        return []
    treatment = condition.definitive
    facility_codes = set(treatment.facilities or ())
    cap = Capability.objects.filter(code=treatment.capability).prefetch_related("requires").first()
    if cap is not None:
        facility_codes |= (
            {c.code for c in cap.requires.all()} if cap.kind == "procedure" else {cap.code}
        )
    out: list[str] = []
    in_use = equipment_in_use(at).filter(institution_id__in=nearer).values("pk")
    down = (
        Equipment.objects.filter(institution_id__in=nearer, capability__code__in=facility_codes)
        .exclude(pk__in=in_use)
        .select_related("capability", "institution")
        .order_by("institution_id", "capability__code")
    )
    down = list(down)
    since: dict[int, datetime.datetime] = {}
    for change in EquipmentStatusChange.objects.filter(
        equipment__in=[e.pk for e in down], changed_at__lte=at
    ).order_by("equipment_id", "changed_at"):
        since[change.equipment_id] = change.changed_at
    for piece in down:
        when = since.get(piece.pk)
        out.append(
            _("%(site)s: %(facility)s out of service since %(when)s")
            % {
                "site": piece.institution.name,
                "facility": piece.capability.name,
                "when": date_format(timezone.localtime(when), "Y-m-d H:i") if when else "—",
            }
        )
    if cap is not None and cap.kind == "procedure":
        day = timezone.localdate(at)
        ended = (
            Posting.objects.filter(
                host_institution_id__in=nearer,
                is_cancelled=False,
                ends_on__lt=day,
                ends_on__gte=day - datetime.timedelta(days=RECENT_POSTING_DAYS),
                practitioner__credentials__capability=cap,
            )
            .exclude(
                practitioner_id__in=Posting.objects.active_on(day)
                .values("practitioner_id")
                .filter(host_institution_id__in=nearer)
            )
            .select_related("practitioner", "host_institution")
            .distinct()
            .order_by("host_institution_id", "-ends_on")
        )
        for posting in ended:
            out.append(
                _("%(site)s: %(name)s's posting ended on %(end)s; no one there can do %(what)s")
                % {
                    "site": posting.host_institution.name,
                    "name": posting.practitioner.name,
                    "end": posting.ends_on.isoformat(),
                    "what": cap.name,
                }
            )
    return out
