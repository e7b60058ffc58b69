"""The device's own screens: enrolment, the attract screen, the language choice, the wipe, and
the heartbeat that tells the platform (and the screen) whether this kiosk may sell.
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from topup.channels.kiosk.device.auth import kiosk_cookie_set, kiosk_device_required, no_store
from topup.channels.kiosk.device.context import NOT_SELLING, kiosk_languages, kiosk_render
from topup.channels.kiosk.device.forms import LanguageForm
from topup.channels.kiosk.device.journey import journey_begin, journey_wipe
from topup.core.errors import ApplicationError
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import kiosk_device_enrol, kiosk_heartbeat, kiosk_session_start
from topup.receipts.printers import PrinterStatus

MAX_ENROLMENT_CODE_LENGTH: Final = 100
MAX_SOFTWARE_VERSION_LENGTH: Final = 40
SOFTWARE_VERSION: Final = "kiosk-screens/1"


def see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@require_http_methods(["GET", "POST"])
@no_store
def enrol(request: HttpRequest, code: str) -> HttpResponse:
    """Turn this browser into a kiosk: the one-time code becomes a long-lived device cookie."""
    if request.method == "GET":
        return kiosk_render(request, "kiosk/enrol.html", {"code": code}, idle_seconds=0)
    try:
        if len(code) > MAX_ENROLMENT_CODE_LENGTH:
            raise ApplicationError()
        credential = kiosk_device_enrol(enrolment_code=code)
    except ApplicationError as error:
        context = {"code": code, "error": error}
        return kiosk_render(
            request, "kiosk/enrol.html", context, status=error.http_status, idle_seconds=0
        )
    # Whatever the browser held before (a staff or customer login) has no place on a kiosk.
    request.session.flush()
    response = see_other(reverse("kiosk:attract"))
    kiosk_cookie_set(response, credential=credential)
    return response


@require_GET
@kiosk_device_required
def attract(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Touch to start: shows nothing of anyone, in every language."""
    return kiosk_render(
        request,
        "kiosk/attract.html",
        {"invitations": _invitations()},
        device=device,
        idle_seconds=0,
    )


def _invitations() -> list[tuple[str, str]]:
    """ "Touch to start" in every language, each wording once (an untranslated one repeats)."""
    seen: set[str] = set()
    invitations: list[tuple[str, str]] = []
    current = translation.get_language()
    codes = sorted((code for code, _name in kiosk_languages()), key=lambda code: code != current)
    for code in codes:
        with translation.override(code):
            text = gettext("Touch to start")
        if text not in seen:
            seen.add(text)
            invitations.append((code, text))
    return invitations


@require_http_methods(["GET", "POST"])
@kiosk_device_required
def language(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Step 2: the language for this customer; choosing it starts a new kiosk session."""
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            try:
                session = kiosk_session_start(device=device, language=form.cleaned_data["language"])
            except ApplicationError as error:
                return _language_page(request, device, error=error, status=error.http_status)
            journey_wipe(request, device)
            journey_begin(request, session=session)
            return see_other(reverse("kiosk:identify"))
        return _language_page(request, device, status=422)
    return _language_page(request, device)


def _language_page(
    request: HttpRequest,
    device: KioskDevice,
    *,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"languages": kiosk_languages(), "error": error}
    return kiosk_render(request, "kiosk/language.html", context, device=device, status=status)


@require_POST
@kiosk_device_required
def end(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Cancel, idle timeout or the end of the journey: wipe, then the attract (or done) screen."""
    journey_wipe(request, device)
    target = "kiosk:done" if request.POST.get("next") == "done" else "kiosk:attract"
    return see_other(reverse(target))


@require_GET
@kiosk_device_required
def done(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Step 8: "take your card and receipt"; the screen goes back to the attract screen itself."""
    return kiosk_render(request, "kiosk/done.html", device=device, idle_seconds=0)


@require_POST
@kiosk_device_required
def heartbeat(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Every 30 s from kiosk.js: the printer's state in, whether this kiosk may sell out."""
    printer_status = request.POST.get("printer_status", PrinterStatus.OK)
    if printer_status not in set(PrinterStatus):
        return JsonResponse({"error": "printer_status_invalid"}, status=422)
    version = request.POST.get("software_version", "")[:MAX_SOFTWARE_VERSION_LENGTH]
    try:
        device = kiosk_heartbeat(
            device=device,
            printer_status=printer_status,
            software_version=version or SOFTWARE_VERSION,
        )
    except ApplicationError as error:
        return JsonResponse({"error": error.code}, status=error.http_status)
    return JsonResponse(
        {"status": device.status, "accepting_payments": device.status not in NOT_SELLING}
    )
