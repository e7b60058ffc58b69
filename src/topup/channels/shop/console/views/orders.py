"""One counter sale: its receipt on screen, printed on the shop's printer or as PDF, and a void
request. Another shop's sale is refused (403), an unknown one not found.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from topup.channels.shop.console.auth import staff_required
from topup.channels.shop.console.context import console_languages, console_render, msisdn_masked
from topup.channels.shop.console.forms import VoidRequestForm
from topup.channels.shop.console.printing import console_printer_for
from topup.core.errors import ApplicationError
from topup.receipts.model import Receipt
from topup.receipts.pdf import receipt_render_pdf
from topup.shops.models import CounterSale, StaffMembership
from topup.shops.selectors import shop_sale_get
from topup.shops.services import shop_void_request
from topup.topups.services import topup_receipt_build


@require_GET
@staff_required
def order(request: HttpRequest, membership: StaffMembership, order_id: uuid.UUID) -> HttpResponse:
    try:
        sale = shop_sale_get(membership=membership, order_id=order_id)
    except ApplicationError as error:
        return _refused(request, membership, error)
    return _order_page(request, membership, sale=sale)


@require_POST
@staff_required
def order_print(
    request: HttpRequest, membership: StaffMembership, order_id: uuid.UUID
) -> HttpResponse:
    try:
        sale = shop_sale_get(membership=membership, order_id=order_id)
        receipt = topup_receipt_build(order=sale.order)
    except ApplicationError as error:
        return _refused(request, membership, error)
    language = _receipt_language(request.POST.get("language", ""), fallback=sale.order.language)
    try:
        console_printer_for(shop=membership.shop).print_receipt(receipt=receipt, language=language)
    except ApplicationError as error:
        return _order_page(request, membership, sale=sale, print_error=error)
    messages.success(request, gettext("The receipt is printing."))
    return redirect("shop:order", order_id=sale.order_id)


@require_GET
@staff_required
def order_pdf(
    request: HttpRequest, membership: StaffMembership, order_id: uuid.UUID
) -> HttpResponse:
    try:
        sale = shop_sale_get(membership=membership, order_id=order_id)
        receipt = topup_receipt_build(order=sale.order)
    except ApplicationError as error:
        return _refused(request, membership, error)
    language = _receipt_language(request.GET.get("language", ""), fallback=sale.order.language)
    response = HttpResponse(
        receipt_render_pdf(receipt=receipt, language=language), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.receipt_number}.pdf"'
    return response


@require_POST
@staff_required
def order_void(
    request: HttpRequest, membership: StaffMembership, order_id: uuid.UUID
) -> HttpResponse:
    try:
        sale = shop_sale_get(membership=membership, order_id=order_id)
    except ApplicationError as error:
        return _refused(request, membership, error)
    form = VoidRequestForm(request.POST)
    if not form.is_valid():
        return _order_page(request, membership, sale=sale, void_form=form, status=422)
    try:
        shop_void_request(
            membership=membership, order_id=sale.order_id, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as error:
        form.add_error("reason", str(error.message))
        return _order_page(request, membership, sale=sale, void_form=form, status=error.http_status)
    messages.success(request, gettext("Void requested. A manager of this shop must approve it."))
    return redirect("shop:voids")


def _order_page(
    request: HttpRequest,
    membership: StaffMembership,
    *,
    sale: CounterSale,
    print_error: ApplicationError | None = None,
    void_form: VoidRequestForm | None = None,
    status: int | None = None,
) -> HttpResponse:
    receipt: Receipt | None
    try:
        receipt = topup_receipt_build(order=sale.order)
    except ApplicationError:
        receipt = None
    context = {
        "sale": sale,
        "order": sale.order,
        "receipt": receipt,
        "msisdn_masked": msisdn_masked(receipt.msisdn) if receipt else "",
        "void_form": void_form or VoidRequestForm(),
        "print_error": print_error,
        "receipt_language": _receipt_language("", fallback=sale.order.language),
        "languages": console_languages(),
    }
    if status is None:
        status = print_error.http_status if print_error else 200
    return console_render(request, "shop/order.html", context, membership=membership, status=status)


def _refused(
    request: HttpRequest, membership: StaffMembership, error: ApplicationError
) -> HttpResponse:
    return console_render(
        request,
        "shop/error.html",
        {"error": error},
        membership=membership,
        status=error.http_status,
    )


def _receipt_language(choice: str, *, fallback: str) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    for language in (choice, fallback):
        if language in supported:
            return language
    return "en"
