"""Top up at the counter: cash into the drawer, or a card on the payment terminal (simulator).

The card number is typed on the terminal panel and passed on to the terminal service in the
same request; it is never stored, logged or shown again.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from topup.channels.shop.console.auth import staff_required
from topup.channels.shop.console.context import console_render
from topup.channels.shop.console.forms import TopupForm
from topup.channels.shop.console.views.customer import SESSION_CUSTOMER_MSISDN
from topup.core.errors import ApplicationError
from topup.shops.models import StaffMembership
from topup.shops.services import shop_topup_card, shop_topup_cash
from topup.topups.models import TopupOrder

_MSISDN_ERRORS = {
    "invalid_msisdn",
    "subscriber_not_found",
    "subscriber_not_identified",
    "subscriber_suspended",
    "subscriber_terminated",
    "line_held_for_reverification",
}
_AMOUNT_ERRORS = {
    "invalid_amount",
    "amount_below_minimum",
    "amount_above_limit",
    "amount_not_offered",
    "daily_limit_reached",
    "monthly_limit_reached",
    "float_exhausted",
}
_TERMINAL_ERRORS = {"card_declined", "terminal_error"}


@require_http_methods(["GET", "POST"])
@staff_required
def topup(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    if request.method == "GET":
        initial = {
            "msisdn": request.session.get(SESSION_CUSTOMER_MSISDN, ""),
            "payment_method": "cash",
        }
        return _topup_page(request, membership, form=TopupForm(initial=initial))
    form = TopupForm(request.POST)
    if not form.is_valid():
        return _topup_page(request, membership, form=form, status=422)
    try:
        order = _sell(membership, form)
    except ApplicationError as error:
        _error_to_field(form, error)
        return _topup_page(request, membership, form=form, status=error.http_status)
    return redirect("shop:order", order_id=order.pk)


def _sell(membership: StaffMembership, form: TopupForm) -> TopupOrder:
    data = form.cleaned_data
    key = str(data["idempotency_key"])
    if data["payment_method"] == "card":
        return shop_topup_card(
            membership=membership,
            msisdn=data["msisdn"],
            amount_cents=data["amount"],
            card_number=data["card_number"],
            idempotency_key=key,
        )
    return shop_topup_cash(
        membership=membership,
        msisdn=data["msisdn"],
        amount_cents=data["amount"],
        idempotency_key=key,
    )


def _error_to_field(form: TopupForm, error: ApplicationError) -> None:
    field: str | None = None
    if error.code in _MSISDN_ERRORS:
        field = "msisdn"
    elif error.code in _AMOUNT_ERRORS:
        field = "amount"
    elif error.code in _TERMINAL_ERRORS:
        field = "card_number"
    form.add_error(field, str(error.message))


def _topup_page(
    request: HttpRequest, membership: StaffMembership, *, form: TopupForm, status: int = 200
) -> HttpResponse:
    # A new idempotency key each time the form is shown: a double submission of one form sells
    # once; a form shown again after a refusal (nothing was charged) is a new attempt.
    context = {"form": form, "idempotency_key": uuid.uuid4()}
    return console_render(request, "shop/topup.html", context, membership=membership, status=status)
