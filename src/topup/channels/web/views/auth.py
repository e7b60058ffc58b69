"""Logging in on the website: the phone number, then the one-time code sent to it by SMS.

The number being logged in travels in the session, never in a URL.
"""

from __future__ import annotations

import datetime as dt
import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from topup.channels.web.session import web_after_login_path, web_current_sim, web_login, web_logout
from topup.core import clock
from topup.core.errors import ApplicationError
from topup.messaging.errors import OtpInvalid, OtpResendTooSoon, OtpTooManyAttempts
from topup.messaging.selectors import otp_delivery, otp_last_issued
from topup.messaging.services import (
    OTP_CODE_MAX_INPUT_CHARS,
    OtpIssued,
    otp_issued_from,
    otp_login_request,
    otp_login_verify,
    otp_sender_name_default,
)
from topup.subscribers.errors import InvalidMsisdn
from topup.subscribers.numbers import InvalidNumber, format_msisdn_masked, normalize_msisdn

# The number a code was sent to, until the code is accepted.
_SESSION_LOGIN_MSISDN = "topup_login_msisdn"
MSISDN_MAX_INPUT_CHARS = 32


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if web_current_sim(request) is not None:
        return redirect("web:account")
    return render(request, "web/home.html")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if web_current_sim(request) is not None:
            return redirect("web:account")
        return _login_page(request, msisdn_typed="", error=None)
    msisdn_typed = request.POST.get("msisdn", "")[:MSISDN_MAX_INPUT_CHARS]
    try:
        msisdn = _msisdn_normalized(msisdn_typed)
        # A line or not, the same answer: the code page (enumeration is not possible here).
        request.session[_SESSION_LOGIN_MSISDN] = msisdn
        _code_send(request, msisdn=msisdn)
    except OtpResendTooSoon as error:
        # A code was sent moments ago (the customer went back a page): that code still works.
        messages.info(request, str(error.message))
        return redirect("web:login-code")
    except ApplicationError as error:
        request.session.pop(_SESSION_LOGIN_MSISDN, None)
        return _login_page(request, msisdn_typed=msisdn_typed, error=error)
    return redirect("web:login-code")


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    msisdn = _login_msisdn(request)
    if msisdn is None:
        return redirect("web:login")
    if request.method == "GET":
        return _code_page(request, msisdn=msisdn, error=None)
    code = request.POST.get("code", "")[:OTP_CODE_MAX_INPUT_CHARS]
    try:
        sim = otp_login_verify(msisdn=msisdn, code=code, client_ip=_client_ip(request))
    except ApplicationError as error:
        return _code_page(request, msisdn=msisdn, error=error)
    web_login(request, sim=sim)
    request.session.pop(_SESSION_LOGIN_MSISDN, None)
    return redirect(web_after_login_path(request) or "web:account")


@require_POST
def login_resend(request: HttpRequest) -> HttpResponse:
    msisdn = _login_msisdn(request)
    if msisdn is None:
        return redirect("web:login")
    try:
        _code_send(request, msisdn=msisdn)
    except ApplicationError as error:
        return _code_page(request, msisdn=msisdn, error=error)
    messages.success(request, gettext("We sent you a new code. Only the newest code works."))
    return redirect("web:login-code")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    web_logout(request)
    return redirect("web:home")


# --- Helpers ------------------------------------------------------------------------------


def _code_send(request: HttpRequest, *, msisdn: str) -> OtpIssued:
    return otp_login_request(
        msisdn=msisdn, client_ip=_client_ip(request), language=request.LANGUAGE_CODE
    )


def _msisdn_normalized(typed: str) -> str:
    try:
        return normalize_msisdn(typed)
    except InvalidNumber as error:
        raise InvalidMsisdn() from error


def _login_msisdn(request: HttpRequest) -> str | None:
    msisdn = request.session.get(_SESSION_LOGIN_MSISDN)
    return msisdn if isinstance(msisdn, str) and msisdn else None


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: behind a reverse proxy, the proxy must set it (trusted-proxy config).
    value = request.META.get("REMOTE_ADDR")
    return value if isinstance(value, str) and value else None


def _login_page(
    request: HttpRequest, *, msisdn_typed: str, error: ApplicationError | None
) -> HttpResponse:
    context = {
        "msisdn_typed": msisdn_typed,
        "error": error,
        "error_next_step": _error_next_step(error) if error else "",
    }
    return render(request, "web/login.html", context, status=error.http_status if error else 200)


def _code_page(
    request: HttpRequest, *, msisdn: str, error: ApplicationError | None
) -> HttpResponse:
    last = otp_last_issued(msisdn=msisdn)
    if last is None:
        return redirect("web:login")
    sender_name = last.sms.sender_name if last.sms is not None else otp_sender_name_default()
    issued = otp_issued_from(one_time_code=last, sender_name=sender_name)
    context = {
        "msisdn_masked": format_msisdn_masked(msisdn),
        "issued": issued,
        "resend_wait_s": _seconds_until(issued.resend_available_at),
        # The SMS gateway refused it (retried with backoff) or gave up: the customer is told.
        "delivery": otp_delivery(one_time_code=last).value,
        "error": error,
        "error_next_step": _error_next_step(error, issued=issued) if error else "",
    }
    return render(
        request, "web/login_code.html", context, status=error.http_status if error else 200
    )


def _error_next_step(error: ApplicationError, *, issued: OtpIssued | None = None) -> str:
    """The part of an error that depends on this moment: attempts left, time to wait."""
    if isinstance(error, OtpInvalid):
        attempts_left = error.details.get("attempts_left")
        if isinstance(attempts_left, int):
            return ngettext(
                "You have %(count)d attempt left.",
                "You have %(count)d attempts left.",
                attempts_left,
            ) % {"count": attempts_left}
    if isinstance(error, OtpTooManyAttempts) and issued is not None:
        wait_s = _seconds_until(issued.resend_available_at)
        if wait_s == 0:
            return gettext("You can ask for a new code now.")
        return gettext("You can ask for a new code in %(wait)s.") % {"wait": wait_text(wait_s)}
    retry_after_s = error.details.get("retry_after_s")
    if isinstance(retry_after_s, int):
        return gettext("Try again in %(wait)s.") % {"wait": wait_text(retry_after_s)}
    return ""


def wait_text(seconds: int) -> str:
    """`45 seconds`, `12 minutes`: a wait as a person says it."""
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _seconds_until(moment: dt.datetime) -> int:
    return max(0, math.ceil((moment - clock.now()).total_seconds()))
