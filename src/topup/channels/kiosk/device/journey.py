"""The kiosk journey's place in the Django session: the kiosk session's id and what the screens
must remember between two steps. Nothing here outlives the journey: `journey_wipe` flushes it all.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, Final, ParamSpec

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from topup.channels.kiosk.device.auth import kiosk_device_required
from topup.core.errors import ApplicationError
from topup.kiosks.errors import KioskSessionNotFound
from topup.kiosks.models import KioskDevice, KioskSession
from topup.kiosks.services import kiosk_session_end, kiosk_session_get

SESSION_ID: Final = "kiosk_session_id"
TARGET_MASKED_NAME: Final = "kiosk_target_masked_name"
TARGET_OWN: Final = "kiosk_target_own"
TARGET_CONFIRMED: Final = "kiosk_target_confirmed"
PAY_KEY: Final = "kiosk_pay_key"
HANDOFF_URL: Final = "kiosk_handoff_url"
HANDOFF_EXPIRES: Final = "kiosk_handoff_expires"
RECEIPT_URL: Final = "kiosk_receipt_url"
RECEIPT_REASON: Final = "kiosk_receipt_reason"

P = ParamSpec("P")
SessionView = Callable[Concatenate[HttpRequest, KioskDevice, KioskSession, P], HttpResponse]
DeviceView = Callable[Concatenate[HttpRequest, KioskDevice, P], HttpResponse]


def journey_begin(request: HttpRequest, *, session: KioskSession) -> None:
    """A fresh Django session for each customer: nothing of the one before carries over."""
    request.session.flush()
    request.session[SESSION_ID] = str(session.pk)


def journey_session_id(request: HttpRequest) -> str | None:
    stored = request.session.get(SESSION_ID)
    return stored if isinstance(stored, str) and stored else None


def journey_text(request: HttpRequest, key: str) -> str:
    stored = request.session.get(key)
    return stored if isinstance(stored, str) else ""


def journey_wipe(request: HttpRequest, device: KioskDevice) -> None:
    """End the kiosk session (if any) and forget everything the screens remembered."""
    session_id = journey_session_id(request)
    if session_id is not None:
        # Already ended or never ours: the wipe below is what matters on this screen.
        with contextlib.suppress(ApplicationError):
            kiosk_session_end(device=device, session_id=session_id)
    request.session.flush()


def kiosk_session_required(view: SessionView[P]) -> DeviceView[P]:
    """This device's running kiosk session, in its language; else back to the attract screen."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, device: KioskDevice, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse:
        session_id = journey_session_id(request)
        try:
            if session_id is None:
                raise KioskSessionNotFound()
            uuid.UUID(session_id)
            session = kiosk_session_get(device=device, session_id=session_id)
            if not session.active:
                raise KioskSessionNotFound()
        except (ApplicationError, ValueError):
            request.session.flush()
            return redirect("kiosk:attract")
        translation.activate(session.language)
        request.LANGUAGE_CODE = session.language
        return view(request, device, session, *args, **kwargs)

    return wrapper


def kiosk_journey(view: SessionView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """A journey screen: a kiosk device (401/403 otherwise) with a running kiosk session."""
    return kiosk_device_required(kiosk_session_required(view))
