"""Closing the till: the agent counts the cash, the service compares it with the drawer's ledger
balance and records the difference; the result page offers the Z report as PDF.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from topup.channels.shop.console.auth import staff_required
from topup.channels.shop.console.context import console_render
from topup.channels.shop.console.forms import TillCloseForm
from topup.core.errors import ApplicationError
from topup.receipts.zreport import zreport_render_pdf
from topup.shops.models import StaffMembership
from topup.shops.selectors import shop_till_close_get, shop_z_report
from topup.shops.services import shop_till_close


@require_http_methods(["GET", "POST"])
@staff_required
def till(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    if request.method == "GET":
        return _till_page(request, membership, form=TillCloseForm())
    form = TillCloseForm(request.POST)
    if not form.is_valid():
        return _till_page(request, membership, form=form, status=422)
    try:
        close = shop_till_close(membership=membership, counted_cents=form.cleaned_data["counted"])
    except ApplicationError as error:
        form.add_error("counted", str(error.message))
        return _till_page(request, membership, form=form, status=error.http_status)
    return redirect("shop:till-result", till_close_id=close.pk)


@require_GET
@staff_required
def till_result(
    request: HttpRequest, membership: StaffMembership, till_close_id: int
) -> HttpResponse:
    try:
        close = shop_till_close_get(membership=membership, till_close_id=till_close_id)
    except ApplicationError as error:
        return console_render(
            request,
            "shop/error.html",
            {"error": error},
            membership=membership,
            status=error.http_status,
        )
    return console_render(request, "shop/till_result.html", {"close": close}, membership=membership)


def _till_page(
    request: HttpRequest, membership: StaffMembership, *, form: TillCloseForm, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "shop": membership.shop,
        # The count is blind: the expected amount is shown only after the close.
        "has_drawer": membership.shop.kind == "operator",
    }
    return console_render(request, "shop/till.html", context, membership=membership, status=status)


@require_GET
@staff_required
def till_z_report_pdf(
    request: HttpRequest, membership: StaffMembership, till_close_id: int
) -> HttpResponse:
    try:
        close = shop_till_close_get(membership=membership, till_close_id=till_close_id)
    except ApplicationError as error:
        return console_render(
            request,
            "shop/error.html",
            {"error": error},
            membership=membership,
            status=error.http_status,
        )
    report = shop_z_report(till_close=close)
    response = HttpResponse(
        zreport_render_pdf(report=report, language=request.LANGUAGE_CODE),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="{close.z_report_number}.pdf"'
    return response
