"""Step 3, identity: insert a bank card (the card-reader simulator) or scan a QR code with the
phone where the customer is logged in. The card number goes to the card-reader service in the
same request and is never stored, logged or shown again.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from topup.channels.kiosk.device.context import kiosk_render
from topup.channels.kiosk.device.forms import CardInsertForm
from topup.channels.kiosk.device.journey import (
    HANDOFF_EXPIRES,
    HANDOFF_URL,
    journey_text,
    kiosk_journey,
)
from topup.channels.kiosk.device.views.device import see_other
from topup.core import clock
from topup.core.errors import ApplicationError
from topup.kiosks.models import KioskDevice, KioskIdentity, KioskSession
from topup.kiosks.services import (
    kiosk_qr_handoff_create,
    kiosk_session_card_insert,
    kiosk_session_poll,
)

QR_SCALE: Final = 8


def qr_data_uri(url: str, *, title: str) -> str:
    """A QR code as an inline SVG data: URI (the CSP allows img data:, no request leaves)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=QR_SCALE, border=2, title=title))


@require_GET
@kiosk_journey
def identify(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    """Card or phone: two big choices."""
    return kiosk_render(request, "kiosk/identify.html", device=device)


@require_http_methods(["GET", "POST"])
@kiosk_journey
def identify_card(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    if request.method == "POST":
        form = CardInsertForm(request.POST)
        if form.is_valid():
            try:
                kiosk_session_card_insert(
                    device=device,
                    session_id=session.pk,
                    card_number=form.cleaned_data["card_number"],
                )
            except ApplicationError as error:
                # A fresh, empty form: the number typed is never sent back to the screen.
                context = {"form": CardInsertForm(), "error": error}
                return kiosk_render(
                    request,
                    "kiosk/identify_card.html",
                    context,
                    device=device,
                    status=error.http_status,
                )
            return see_other(reverse("kiosk:number"))
        return kiosk_render(
            request,
            "kiosk/identify_card.html",
            {"form": CardInsertForm(), "invalid": True},
            device=device,
            status=422,
        )
    return kiosk_render(
        request, "kiosk/identify_card.html", {"form": CardInsertForm()}, device=device
    )


@require_http_methods(["GET", "POST"])
@kiosk_journey
def identify_phone(
    request: HttpRequest, device: KioskDevice, session: KioskSession
) -> HttpResponse:
    """POST: a new QR code (2 minutes, single use); GET: show it and wait for the phone."""
    if request.method == "POST":
        try:
            handoff = kiosk_qr_handoff_create(device=device, session_id=session.pk)
        except ApplicationError as error:
            return kiosk_render(
                request,
                "kiosk/identify.html",
                {"error": error},
                device=device,
                status=error.http_status,
            )
        expires_at = handoff.expires_at
        request.session[HANDOFF_URL] = request.build_absolute_uri(handoff.url)
        request.session[HANDOFF_EXPIRES] = (
            expires_at.isoformat() if isinstance(expires_at, dt.datetime) else ""
        )
        return see_other(reverse("kiosk:identify-phone"))
    if session.identity == KioskIdentity.QR:
        return redirect("kiosk:number")
    url = journey_text(request, HANDOFF_URL)
    if not url:
        return redirect("kiosk:identify")
    seconds_left = _seconds_left(journey_text(request, HANDOFF_EXPIRES))
    context = {
        "qr": qr_data_uri(url, title=gettext("Scan with your phone")) if seconds_left else "",
        "seconds_left": seconds_left,
    }
    return kiosk_render(request, "kiosk/identify_phone.html", context, device=device)


@require_GET
@kiosk_journey
def identify_phone_status(
    request: HttpRequest, device: KioskDevice, session: KioskSession
) -> HttpResponse:
    """Polled by htmx every 2 s: 204 while the phone has not confirmed, then on to the number."""
    try:
        polled = kiosk_session_poll(device=device, session_id=session.pk)
    except ApplicationError:
        return HttpResponseClientRedirect(reverse("kiosk:attract"))
    if polled.identity == KioskIdentity.QR:
        return HttpResponseClientRedirect(reverse("kiosk:number"))
    return HttpResponse(status=204)


def _seconds_left(expires_iso: str) -> int:
    try:
        expires_at = dt.datetime.fromisoformat(expires_iso)
    except ValueError:
        return 0
    return max(0, int((expires_at - clock.now()).total_seconds()))
