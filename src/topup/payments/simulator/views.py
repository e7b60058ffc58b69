"""The simulator's hosted payment page: what a customer sees on the provider's site."""

from __future__ import annotations

import contextlib

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from topup.core.errors import Conflict, NotFound
from topup.core.money import format_amount_for_locale
from topup.payments.simulator import services
from topup.payments.simulator.forms import CardForm, WalletForm
from topup.payments.simulator.models import SimulatorPayment

METHOD_NAMES = {
    "card": _("Card (Visa / Mastercard)"),
    "bancontact": _("Bancontact"),
    "alipay": _("Alipay"),
    "wechat_pay": _("WeChat Pay"),
}


# A provider's page: posted to by plain HTTP clients with no CSRF cookie, and it redirects the
# customer back to whichever merchant site made the payment (so form-action is widened).
@csrf_exempt
@sensitive_post_parameters("card_number", "expiry", "cvc")
@never_cache
# django-csp types a view as taking the request only; this one also takes the payment id.
@csp_update({"form-action": ["'self'", "http:", "https:"]})  # type: ignore[arg-type]
@require_http_methods(["GET", "POST"])
def simulator_pay_page(request: HttpRequest, payment_id: str) -> HttpResponse:
    try:
        payment = services.simulator_payment_get(payment_id=payment_id)
    except NotFound:
        return render(request, "simulator/not_found.html", status=404)
    if not payment.awaits_customer and request.method == "POST":
        return _return_redirect(payment)  # a repeated submit: the first answer stands
    if not payment.awaits_customer:
        return _page(request, payment, "simulator/closed.html", form=None)
    if payment.method == "card":
        return _card_page(request, payment)
    return _wallet_page(request, payment)


def _card_page(request: HttpRequest, payment: SimulatorPayment) -> HttpResponse:
    if request.method != "POST":
        return _page(request, payment, "simulator/card.html", form=CardForm())
    form = CardForm(request.POST)
    if not form.is_valid():
        return _page(request, payment, "simulator/card.html", form=form)
    # On a double submit the first answer stands; the customer goes back all the same.
    with contextlib.suppress(Conflict):
        services.simulator_card_submit(
            payment_id=payment.id, card_number=form.cleaned_data["card_number"]
        )
    return _return_redirect(payment)


def _wallet_page(request: HttpRequest, payment: SimulatorPayment) -> HttpResponse:
    if request.method != "POST":
        return _page(request, payment, "simulator/wallet.html", form=WalletForm())
    form = WalletForm(request.POST)
    if not form.is_valid():
        return _page(request, payment, "simulator/wallet.html", form=form)
    approve = form.cleaned_data["action"] == WalletForm.APPROVE
    with contextlib.suppress(Conflict):  # a double submit: the first answer stands
        services.simulator_wallet_decide(payment_id=payment.id, approve=approve)
    return _return_redirect(payment)


def _page(
    request: HttpRequest,
    payment: SimulatorPayment,
    template: str,
    *,
    form: CardForm | WalletForm | None,
) -> HttpResponse:
    context = {
        "payment": payment,
        "form": form,
        "amount": format_amount_for_locale(payment.amount_cents, payment.language),
        "method_name": METHOD_NAMES.get(payment.method, payment.method),
    }
    # The page speaks the language the merchant asked for, as a provider's page does.
    with translation.override(payment.language):
        return render(request, template, context)


def _return_redirect(payment: SimulatorPayment) -> HttpResponseRedirect:
    # 303 makes the browser follow with a GET, whatever method brought it here.
    response = HttpResponseRedirect(payment.return_url)
    response.status_code = 303
    return response
