"""Staff login: username and password (Django auth), then a TOTP code when two-factor is required.

A staff user without a device may enrol one: the page shows a QR code for an authenticator app
and the first code confirms it. An administrator can also enrol one (admin: TOTP devices).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from topup.channels.shop.console.auth import staff_actor, staff_login_complete, staff_user
from topup.channels.shop.console.context import console_render
from topup.channels.shop.console.forms import CodeForm
from topup.core.errors import ApplicationError
from topup.shops.services import staff_membership_get
from topup.staff.errors import TwoFactorNoDevice
from topup.staff.two_factor import (
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_has_device,
    two_factor_qr_data_uri,
    two_factor_required,
    two_factor_secret_text,
    two_factor_verify,
)

# Where to go after the second factor: the page the staff member first asked for.
_SESSION_NEXT = "shop_console_next"


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if staff_login_complete(request):
            return redirect("shop:home")
        next_url = _safe_next(request, request.GET.get("next", ""))
        form = AuthenticationForm(request)
        return console_render(request, "shop/login.html", {"form": form, "next": next_url})
    next_url = _safe_next(request, request.POST.get("next", ""))
    form = AuthenticationForm(request, data=request.POST)
    if not form.is_valid():
        return console_render(
            request, "shop/login.html", {"form": form, "next": next_url}, status=401
        )
    auth_login(request, form.get_user())
    if two_factor_required():
        request.session[_SESSION_NEXT] = next_url
        return redirect("shop:login-verify")
    return redirect(next_url or "shop:home")


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    if staff_user(request) is None:
        return redirect("shop:login")
    if staff_login_complete(request):
        return redirect("shop:home")
    if not two_factor_has_device(request.user):
        return _verify_page(request, form=CodeForm(), error=TwoFactorNoDevice(), can_enrol=True)
    if request.method == "GET":
        return _verify_page(request, form=CodeForm(), error=None)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _verify_page(request, form=form, error=None, status=422)
    try:
        two_factor_verify(request=request, code=form.cleaned_data["code"])
    except ApplicationError as error:
        return _verify_page(request, form=CodeForm(), error=error, status=error.http_status)
    next_url = _safe_next(request, str(request.session.pop(_SESSION_NEXT, "")))
    return redirect(next_url or "shop:home")


@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol a first TOTP device: only for an assigned staff member who has none yet."""
    user = staff_user(request)
    if user is None:
        return redirect("shop:login")
    try:
        membership = staff_membership_get(user=user)
        device = two_factor_enrolment_start(user=user)
    except ApplicationError as not_allowed:
        return console_render(
            request, "shop/error.html", {"error": not_allowed}, status=not_allowed.http_status
        )
    form = CodeForm(request.POST if request.method == "POST" else None)
    error: ApplicationError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            two_factor_enrolment_confirm(
                request=request, code=form.cleaned_data["code"], actor=staff_actor(request)
            )
        except ApplicationError as refused:
            error = refused
        else:
            messages.success(request, gettext("Two-factor login is set up for your account."))
            return redirect("shop:home")
    context = {
        "form": CodeForm() if error else form,
        "error": error,
        "qr_data_uri": two_factor_qr_data_uri(device=device, username=user.get_username()),
        "secret_text": two_factor_secret_text(device=device),
    }
    status = error.http_status if error else (422 if form.errors else 200)
    return console_render(
        request, "shop/two_factor_setup.html", context, membership=membership, status=status
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, gettext("You are logged out."))
    return redirect("shop:login")


def _verify_page(
    request: HttpRequest,
    *,
    form: CodeForm,
    error: ApplicationError | None,
    can_enrol: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "can_enrol": can_enrol,
        "locked_until": _locked_until(error),
    }
    return console_render(request, "shop/login_verify.html", context, status=status)


def _locked_until(error: ApplicationError | None) -> dt.datetime | None:
    value = error.details.get("locked_until") if error else None
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def _safe_next(request: HttpRequest, next_url: str) -> str:
    """Only a console page of this site: never an open redirect."""
    allowed = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return next_url if next_url.startswith("/shop/") and allowed else ""
