"""The public kiosk finder: the nearest kiosks in service, by municipality or coordinates."""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from topup.channels.api.errors import ErrorOut
from topup.kiosks.errors import KioskFinderPlaceUnknown, KioskFinderQueryMissing
from topup.kiosks.selectors import KIOSKS_NEAR_LIMIT_MAX, kiosks_in_service_near
from topup.visits.selectors import PostalCodesNotSupported, municipality_find

DEFAULT_LIMIT: Final = 5

router = Router(tags=["kiosks"])


class KioskQueryIn(Schema):
    municipality: str = Field(
        default="", max_length=100, description="A Belgian municipality in any of its names."
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=KIOSKS_NEAR_LIMIT_MAX)


class KioskOut(Schema):
    code: str
    name: str
    address: str
    latitude: float
    longitude: float
    status: str = Field(examples=["in_service"])
    distance_km: float = Field(description="Great-circle distance, rounded to 0.1 km.")


class KioskListOut(Schema):
    searched_for: str = Field(description="The municipality found, or `coordinates`.")
    items: list[KioskOut]


def _origin(query: KioskQueryIn) -> tuple[float, float, str]:
    if query.latitude is not None and query.longitude is not None:
        return query.latitude, query.longitude, "coordinates"
    if not query.municipality.strip():
        raise KioskFinderQueryMissing()
    try:
        municipality = municipality_find(name=query.municipality)
    except PostalCodesNotSupported as error:
        raise KioskFinderPlaceUnknown(details={"municipality": query.municipality}) from error
    if municipality is None:
        raise KioskFinderPlaceUnknown(details={"municipality": query.municipality})
    return municipality.latitude, municipality.longitude, municipality.name


@router.get(
    "",
    response={200: KioskListOut, 422: ErrorOut},
    summary="The nearest kiosks in service, nearest first",
    description=(
        "No authentication. Give `municipality`, or `latitude` and `longitude`. Only kiosks in "
        "service with a recent heartbeat are listed: a kiosk that is out of paper, in "
        "maintenance or silent is left out."
    ),
)
def kiosks_list(request: HttpRequest, query: Query[KioskQueryIn]) -> KioskListOut:
    latitude, longitude, searched_for = _origin(query)
    places = kiosks_in_service_near(latitude=latitude, longitude=longitude, limit=query.limit)
    return KioskListOut(
        searched_for=searched_for,
        items=[
            KioskOut(
                code=place.kiosk.code,
                name=place.kiosk.name,
                address=place.kiosk.address,
                latitude=float(place.kiosk.latitude),
                longitude=float(place.kiosk.longitude),
                status=place.device.status,
                distance_km=round(place.distance_km, 1),
            )
            for place in places
        ],
    )
