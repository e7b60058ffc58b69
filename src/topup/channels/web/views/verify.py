"""Information does not match: why the line is held, and re-verifying online (eID / itsme) or in
a shop. The identity provider is reached through the port in topup.identity.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from topup.catalog.models import Shop, ShopKind
from topup.catalog.selectors import operator_get
from topup.channels.web.session import login_required_sim, web_actor
from topup.core.errors import ApplicationError
from topup.identity.errors import (
    IdentityVerificationFailed,
    IdentityVerificationInterrupted,
    IdentityVerificationRefused,
)
from topup.identity.ports import IDENTITY_METHODS, IdentityMethod
from topup.identity.selectors import identification_shops, verification_need
from topup.identity.services import identity_provider_get, identity_verification_record
from topup.subscribers.models import HoldReason, IdentificationStatus, Sim

# The verification this browser started: state (checked on the way back) and nonce.
_SESSION_FLOW: Final = "topup_identity_flow"
# The response attribute django-csp's middleware reads (what its csp_update decorator sets).
_CSP_UPDATE: Final = "_csp_update"
MAX_PARAMETER_CHARS: Final = 500

HOLD_REASON_TEXTS: Final[dict[HoldReason, Promise]] = {
    HoldReason.SIM_SWAP: _(
        "The SIM card of this number was replaced (a SIM swap). We check that the line is still "
        "used by the person it is registered to."
    ),
    HoldReason.DEVICE_CHANGE: _(
        "This number is now used in a different phone. We check that the line is still used by "
        "the person it is registered to."
    ),
    HoldReason.INFORMATION_MISMATCH: _(
        "The information registered for this line does not match the SIM card or phone in use."
    ),
    HoldReason.REIDENTIFICATION: _(
        "We asked you to identify again: the law lets the operator ask for this at any time."
    ),
}
SHOP_KIND_NAMES: Final[dict[str, Promise]] = {
    ShopKind.OPERATOR: _("Operator shop"),
    ShopKind.PARTNER: _("Partner shop"),
}


def _callback_url() -> str:
    return f"{settings.TOPUP_PUBLIC_URL}{reverse('web:verify-callback')}"


@never_cache
@require_GET
@login_required_sim
def verify(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    need = verification_need(sim=sim)
    operator = operator_get()
    response = render(
        request,
        "web/verify.html",
        {
            "need": need,
            "reasons": [HOLD_REASON_TEXTS[reason] for reason in need.hold_reasons],
            "operator": operator,
        },
    )
    # "Verify" posts here, then the browser is redirected to the provider (CSP form-action).
    setattr(response, _CSP_UPDATE, {"form-action": ["'self'", identity_provider_get().origin]})
    return response


@require_POST
@login_required_sim
def verify_start(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    method = request.POST.get("method", "")
    if not verification_need(sim=sim).needed:
        return redirect("web:verify")
    if method not in IDENTITY_METHODS:
        messages.error(request, IdentityVerificationFailed.default_message)
        return redirect("web:verify")
    chosen: IdentityMethod = "online_eid" if method == "online_eid" else "certified_service"
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    request.session[_SESSION_FLOW] = {"state": state, "nonce": nonce}
    provider = identity_provider_get()
    return redirect(
        provider.authorization_url(
            state=state, nonce=nonce, redirect_uri=_callback_url(), method=chosen
        )
    )


@never_cache
@require_GET
@login_required_sim
def verify_callback(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    # One answer per start: a replayed or forged callback finds no flow to match.
    flow = request.session.pop(_SESSION_FLOW, None)
    state = request.GET.get("state", "")[:MAX_PARAMETER_CHARS]
    try:
        if not isinstance(flow, dict) or not hmac.compare_digest(state, str(flow.get("state"))):
            raise IdentityVerificationInterrupted()
        if request.GET.get("error") == "access_denied":
            raise IdentityVerificationRefused()
        if "error" in request.GET:
            raise IdentityVerificationFailed()
        provider = identity_provider_get()
        identity = provider.exchange_code(
            code=request.GET.get("code", "")[:MAX_PARAMETER_CHARS],
            redirect_uri=_callback_url(),
            nonce=str(flow.get("nonce")),
        )
        record = identity_verification_record(
            sim=sim, identity=identity, provider=provider.name, actor=web_actor(request, sim)
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("web:verify")
    if record.status == IdentificationStatus.ANOMALY:
        messages.error(
            request,
            _(
                "Your identity was confirmed, but customer service must review it before the "
                "line is released. Contact customer service or visit a shop."
            ),
        )
    else:
        messages.success(
            request,
            _("Thank you: your identity is verified. Top-ups and changes on this line work again."),
        )
    return redirect("web:verify")


@require_GET
@login_required_sim
def verify_shops(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    language_names: dict[str, Promise | str] = dict(settings.LANGUAGES)
    shops: list[tuple[Shop, Promise | str, list[Promise | str]]] = [
        (
            shop,
            SHOP_KIND_NAMES.get(shop.kind, shop.kind),
            [
                language_names.get(code.strip(), code.strip())
                for code in shop.languages.split(",")
                if code.strip()
            ],
        )
        for shop in identification_shops()
    ]
    return render(request, "web/verify_shops.html", {"shops": shops})
