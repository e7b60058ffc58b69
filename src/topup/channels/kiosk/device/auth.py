"""Who may open a kiosk screen: a browser holding a kiosk device credential, and nothing else.

The credential lives in its own cookie, scoped to /kiosk/, so the browser never sends it to the
website, the shop console or the API. A staff login or a customer session never opens a kiosk
screen: only the device credential counts, checked on every request (a revoked kiosk is cut off
at its next request).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, Final, ParamSpec

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from topup.channels.kiosk.device.context import kiosk_render
from topup.core.errors import ApplicationError
from topup.kiosks.errors import KioskCredentialInvalid
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import kiosk_device_authenticate

KIOSK_COOKIE: Final = "topup_kiosk"
KIOSK_COOKIE_PATH: Final = "/kiosk/"
# Long-lived: a kiosk is enrolled once. 400 days is the most a browser keeps a cookie.
KIOSK_COOKIE_MAX_AGE_S: Final = 400 * 24 * 3600
MAX_CREDENTIAL_LENGTH: Final = 200

P = ParamSpec("P")
DeviceView = Callable[Concatenate[HttpRequest, KioskDevice, P], HttpResponse]
PlainView = Callable[Concatenate[HttpRequest, P], HttpResponse]


def kiosk_cookie_set(response: HttpResponse, *, credential: str) -> None:
    response.set_cookie(
        KIOSK_COOKIE,
        credential,
        max_age=KIOSK_COOKIE_MAX_AGE_S,
        path=KIOSK_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,  # True in production (HTTPS only)
        httponly=True,
        samesite="Strict",
    )


def no_store(view: PlainView[P]) -> PlainView[P]:
    """Nothing a kiosk shows may come back from a cache or through the back button."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


def kiosk_device_required(view: DeviceView[P]) -> PlainView[P]:
    """No or unknown credential → 401 page; revoked → 403 page; else the view gets the device."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        credential = request.COOKIES.get(KIOSK_COOKIE, "")
        try:
            if not credential or len(credential) > MAX_CREDENTIAL_LENGTH:
                raise KioskCredentialInvalid()
            device = kiosk_device_authenticate(credential=credential)
        except ApplicationError as error:
            return kiosk_render(
                request, "kiosk/refused.html", {"error": error}, status=error.http_status
            )
        return view(request, device, *args, **kwargs)

    return no_store(wrapper)
