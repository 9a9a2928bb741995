"""A site that moves, opens or closes changes the travel-time table: rebuild it."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from lianxin.network.models import Institution


def _position(instance: Institution) -> list[float] | None:
    from lianxin.emergency.tables import DESTINATION_TIERS

    if not instance.is_active or instance.tier not in DESTINATION_TIERS:
        return None
    if instance.latitude is None or instance.longitude is None:
        return None
    return [round(float(instance.latitude), 6), round(float(instance.longitude), 6)]


@receiver(post_save, sender=Institution)
def _site_changed(sender, instance: Institution, raw: bool = False, **kwargs) -> None:
    """One query: the networks whose box holds the site or whose table has it as a column."""
    if raw or instance.latitude is None or instance.longitude is None:
        return
    from lianxin.emergency.models import RoadNetwork
    from lianxin.emergency.tables import BOUNDS_MARGIN_DEG
    from lianxin.emergency.tasks import enqueue_rebuild

    lat, lon, m = float(instance.latitude), float(instance.longitude), BOUNDS_MARGIN_DEG
    now = _position(instance)
    inside = Q(south__lte=lat + m, north__gte=lat - m, west__lte=lon + m, east__gte=lon - m)
    was_a_column = Q(site_positions__has_key=str(instance.pk))
    for pk, positions in RoadNetwork.objects.filter(inside | was_a_column).values_list(
        "pk", "site_positions"
    ):
        if (positions or {}).get(str(instance.pk)) != now:
            enqueue_rebuild(pk)
