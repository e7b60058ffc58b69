"""Rendering a kiosk screen: what every screen's layout needs (device, timeouts, CSP nonce)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from topup.core.languages import languages_native
from topup.kiosks.models import KioskDevice, KioskStatus

IDLE_SECONDS: Final = 60  # TOPUP_KIOSK_IDLE_S overrides it (tests shorten it)
# A device in these states takes no payment (out of paper still sells: the receipt goes on screen).
NOT_SELLING: Final = (KioskStatus.OUT_OF_SERVICE, KioskStatus.MAINTENANCE)


def kiosk_languages() -> list[tuple[str, str]]:
    return languages_native()


def kiosk_render(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    device: KioskDevice | None = None,
    status: int = 200,
    idle_seconds: int | None = None,
) -> HttpResponse:
    if idle_seconds is None:
        configured = getattr(settings, "TOPUP_KIOSK_IDLE_S", IDLE_SECONDS)
        idle_seconds = (
            configured if isinstance(configured, int) and configured > 0 else IDLE_SECONDS
        )
    page: dict[str, object] = {
        # django-htmx's script tag reads the nonce under this name.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "device": device,
        "idle_seconds": idle_seconds,
        "out_of_service": device is not None and device.status in NOT_SELLING,
        "printer_status": (device.printer_status if device is not None else "") or "ok",
    }
    page.update(context or {})
    return render(request, template, page, status=status)
