"""The phone's side of the kiosk QR hand-off: "Continue at kiosk …?" and the confirmation.

The token in the address is the signed, single-use hand-off token the kiosk showed as a QR code;
it carries no personal data. Confirming makes that kiosk session the logged-in customer's.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from topup.channels.web.session import login_required_sim, web_actor
from topup.core.errors import ApplicationError
from topup.kiosks.errors import KioskHandoffInvalid
from topup.kiosks.services import kiosk_qr_handoff_confirm, kiosk_qr_handoff_inspect
from topup.subscribers.models import Sim

MAX_TOKEN_LENGTH = 512


@never_cache
@require_http_methods(["GET", "POST"])
@login_required_sim
def kiosk_handoff(request: HttpRequest, token: str, *, sim: Sim) -> HttpResponse:
    context: dict[str, object] = {"token": token, "msisdn": sim.msisdn}
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise KioskHandoffInvalid()
        context["kiosk"] = kiosk_qr_handoff_inspect(token=token)
        if request.method == "POST":
            kiosk_qr_handoff_confirm(token=token, sim=sim, actor=web_actor(request, sim))
            context["confirmed"] = True
    except ApplicationError as error:
        context["error"] = error.message
        return render(request, "web/kiosk_handoff.html", context, status=error.http_status)
    return render(request, "web/kiosk_handoff.html", context)
