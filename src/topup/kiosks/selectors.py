"""Reads of the kiosk fleet: the nearest kiosks in service, a kiosk's device."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Final

from topup.catalog.models import Kiosk
from topup.core import clock
from topup.kiosks.models import KioskDevice, KioskStatus

KIOSKS_NEAR_LIMIT_MAX: Final = 20
EARTH_RADIUS_KM: Final = 6371.0088
# The same threshold as the sweep (services.KIOSK_HEARTBEAT_STALE_S): a kiosk the sweep has not
# reached yet but that has been silent that long is already left out of the finder.
HEARTBEAT_FRESH_S: Final = 180


@dataclass(frozen=True)
class KioskDistance:
    kiosk: Kiosk
    device: KioskDevice
    distance_km: float


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # The shop finder has its own (topup.visits): the kiosk fleet may not import a sibling.
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def kiosks_in_service_near(
    *, latitude: float, longitude: float, limit: int = 5
) -> list[KioskDistance]:
    """The `limit` nearest kiosks a customer can use now, nearest first, distance in km.

    Only kiosks whose device is in service (not out of paper, maintenance, out of service or
    revoked), whose catalog entry is in service, and that sent a heartbeat within
    HEARTBEAT_FRESH_S. A kiosk never enrolled has no heartbeat, so it is never shown.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    limit = max(1, min(limit, KIOSKS_NEAR_LIMIT_MAX))
    fresh_since = clock.now() - dt.timedelta(seconds=HEARTBEAT_FRESH_S)
    devices = KioskDevice.objects.select_related("kiosk").filter(
        status=KioskStatus.IN_SERVICE,
        revoked_at__isnull=True,
        kiosk__in_service=True,
        last_heartbeat_at__gt=fresh_since,
    )
    ranked = sorted(
        (
            KioskDistance(
                kiosk=device.kiosk,
                device=device,
                distance_km=_great_circle_km(
                    latitude, longitude, float(device.kiosk.latitude), float(device.kiosk.longitude)
                ),
            )
            for device in devices
        ),
        key=lambda item: (item.distance_km, item.kiosk.code),
    )
    return ranked[:limit]


def kiosk_device_for(*, kiosk: Kiosk) -> KioskDevice | None:
    return KioskDevice.objects.select_related("kiosk").filter(kiosk=kiosk).first()
