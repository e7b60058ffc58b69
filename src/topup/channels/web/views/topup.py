"""TEMPORARY placeholders for the topup area: replaced by the real views in this change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from topup.core.money import format_amount_for_locale
from topup.topups.errors import TopupNotFound
from topup.topups.models import TopupStatus
from topup.topups.selectors import topup_order_get

_WAITING = (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT, TopupStatus.PAID)


def topup_form(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: topup.topup_form is being built", status=501)


def topup_confirm(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: topup.topup_confirm is being built", status=501)


@require_GET
def topup_return(request: HttpRequest, order_id: str) -> HttpResponse:
    """Shows the order's status and refreshes itself until the credit has arrived or failed."""
    try:
        order = topup_order_get(order_id=order_id)
    except TopupNotFound:
        return render(request, "web/topup_not_found.html", status=404)
    language = request.LANGUAGE_CODE
    context = {
        "order": order,
        "amount": format_amount_for_locale(order.amount_cents, language),
        "waiting": order.status in _WAITING,
        "credited": order.status == TopupStatus.CREDITED,
    }
    return render(request, "web/topup_return.html", context)


def topup_status(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: topup.topup_status is being built", status=501)


def topup_retry(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("TEMPORARY: topup.topup_retry is being built", status=501)
