"""Records: the line's top-up history with filters, each receipt as a page and a PDF, and a CSV.

Who may see an order: the line it credited and the line that asked for it; any other order id
answers 404, as if it did not exist. Filters travel in the query string, and the number filter
carries the line's internal id, never the phone number, so no personal data goes in a URL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from topup.channels.web.session import login_required_sim
from topup.core.csv_export import csv_amount, csv_decimal_comma, csv_document
from topup.core.money import format_amount_for_locale
from topup.receipts.labels import channel_label, payment_method_label
from topup.receipts.model import Receipt
from topup.receipts.pdf import receipt_render_pdf
from topup.subscribers.models import Sim
from topup.subscribers.numbers import format_msisdn_national
from topup.topups.errors import ReceiptNotAvailable, TopupNotFound
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.selectors import (
    topup_order_get,
    topup_order_lines_for_sim,
    topup_orders_filtered,
)
from topup.topups.services import topup_receipt_build

PAGE_SIZE: Final = 20
MAX_PAGE: Final = 250  # PAGE_SIZE * MAX_PAGE stays within the selector's row limit
# The period a filter may name: 0001-01-01 or 9999-12-31 would overflow the day's bounds in time.
FIRST_DAY: Final = dt.date(2000, 1, 1)
LAST_DAY: Final = dt.date(2999, 12, 31)
_DAY_RANGE: Final = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]
MAX_EXPORT_ROWS: Final = 5000

STATUS_WORDS: Final[dict[str, str | Promise]] = {
    TopupStatus.CREATED: _("Started, not paid"),
    TopupStatus.AWAITING_PAYMENT: _("Waiting for payment"),
    TopupStatus.PAID: _("Paid, credit on its way"),
    TopupStatus.CREDITED: _("Credited"),
    TopupStatus.FAILED: _("Payment failed"),
    TopupStatus.EXPIRED: _("Expired, not paid"),
    TopupStatus.REFUNDED: _("Refunded"),
}


def _status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def _method_words(method: str, instrument_masked: str) -> str:
    words = payment_method_label(method)
    return f"{words} {instrument_masked}" if instrument_masked else words


class HistoryFilterForm(forms.Form):
    since = forms.DateField(required=False, label=_("From"), validators=_DAY_RANGE)
    until = forms.DateField(required=False, label=_("To"), validators=_DAY_RANGE)
    status = forms.ChoiceField(required=False, label=_("Status"))
    number = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Number"))
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def __init__(self, data: QueryDict | None, *, lines: list[Sim]) -> None:
        super().__init__(data)
        all_label = _("All")
        status_field, number_field = self.fields["status"], self.fields["number"]
        assert isinstance(status_field, forms.ChoiceField)
        assert isinstance(number_field, forms.ChoiceField)
        status_field.choices = [("", all_label), *STATUS_WORDS.items()]
        number_field.choices = [
            ("", all_label),
            *((line.pk, format_msisdn_national(line.msisdn)) for line in lines),
        ]

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", gettext("The end date comes before the start date."))
        return cleaned


@dataclass(frozen=True)
class HistoryQuery:
    since: dt.date | None = None
    until: dt.date | None = None
    status: str | None = None
    target_sim_id: int | None = None
    page: int = 1


def _history_query(form: HistoryFilterForm) -> HistoryQuery:
    """The filters that are valid; an invalid one is shown with its error and not applied."""
    form.is_valid()
    data = form.cleaned_data

    def valid(name: str) -> object:
        return None if name in form.errors else data.get(name)

    since, until, status = valid("since"), valid("until"), valid("status")
    target, page = valid("number"), valid("page")
    return HistoryQuery(
        since=since if isinstance(since, dt.date) else None,
        until=until if isinstance(until, dt.date) else None,
        status=status if isinstance(status, str) and status else None,
        target_sim_id=target if isinstance(target, int) else None,
        page=page if isinstance(page, int) else 1,
    )


def _filter_querystring(query: HistoryQuery, *, page: int | None = None) -> str:
    """The filters as a query string (dates, a status and an internal line id: nothing personal)."""
    parts: dict[str, str] = {}
    if query.since:
        parts["since"] = query.since.isoformat()
    if query.until:
        parts["until"] = query.until.isoformat()
    if query.status:
        parts["status"] = query.status
    if query.target_sim_id is not None:
        parts["number"] = str(query.target_sim_id)
    if page is not None and page > 1:
        parts["page"] = str(page)
    return urlencode(parts)


@dataclass(frozen=True)
class HistoryRow:
    order: TopupOrder
    number: str
    amount: str
    status_words: str
    has_receipt: bool


def _rows(orders: list[TopupOrder], language: str) -> list[HistoryRow]:
    return [
        HistoryRow(
            order=order,
            number=format_msisdn_national(order.sim.msisdn),
            amount=format_amount_for_locale(order.amount_cents, language),
            status_words=_status_words(order.status),
            has_receipt=bool(order.receipt_number)
            and order.status in (TopupStatus.CREDITED, TopupStatus.REFUNDED),
        )
        for order in orders
    ]


def _filters(request: HttpRequest, sim: Sim) -> tuple[HistoryFilterForm, HistoryQuery]:
    form = HistoryFilterForm(request.GET or None, lines=topup_order_lines_for_sim(sim=sim))
    return form, _history_query(form) if form.is_bound else HistoryQuery()


def _orders(sim: Sim, query: HistoryQuery, *, limit: int, offset: int) -> list[TopupOrder]:
    return topup_orders_filtered(
        sim=sim,
        since=query.since,
        until=query.until,
        status=query.status,
        target_sim_id=query.target_sim_id,
        limit=limit,
        offset=offset,
    )


@login_required_sim
def history(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    form, query = _filters(request, sim)
    orders = _orders(sim, query, limit=PAGE_SIZE + 1, offset=(query.page - 1) * PAGE_SIZE)
    # One more row than shown tells whether a next page exists.
    has_next = len(orders) > PAGE_SIZE and query.page < MAX_PAGE
    context = {
        "form": form,
        "rows": _rows(orders[:PAGE_SIZE], request.LANGUAGE_CODE),
        "page": query.page,
        "filtered": query != HistoryQuery(page=query.page),
        "export_query": _filter_querystring(query),
        "previous_query": _filter_querystring(query, page=query.page - 1)
        if query.page > 1
        else None,
        "next_query": _filter_querystring(query, page=query.page + 1) if has_next else None,
    }
    partial = request.headers.get("HX-Request") == "true"
    template = "web/_history_panel.html" if partial else "web/history.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _csv_row(order: TopupOrder, *, decimal_comma: bool) -> list[str]:
    created = timezone.localtime(order.created_at)
    return [
        created.date().isoformat(),
        created.strftime("%H:%M"),
        order.receipt_number or "",
        format_msisdn_national(order.sim.msisdn),
        csv_amount(order.amount_cents, decimal_comma=decimal_comma),
        order.currency,
        _status_words(order.status),
        _method_words(order.payment_method, order.payment_instrument_masked),
    ]


@login_required_sim
def history_export(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    """The filtered history as CSV: UTF-8 with a BOM (so Excel reads the accents and Chinese),
    ";" and a decimal comma for nl/fr/de, "," and a decimal point otherwise."""
    _form, query = _filters(request, sim)
    orders = _orders(sim, query, limit=MAX_EXPORT_ROWS, offset=0)
    decimal_comma = csv_decimal_comma(request.LANGUAGE_CODE)
    header = (
        _("Date"),
        _("Time"),
        _("Receipt number"),
        _("Number"),
        _("Amount"),
        _("Currency"),
        _("Status"),
        _("Payment method"),
    )
    content = csv_document(
        header=header,
        rows=(_csv_row(order, decimal_comma=decimal_comma) for order in orders),
        decimal_comma=decimal_comma,
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="topup-history.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _order_of_line(order_id: uuid.UUID, sim: Sim) -> TopupOrder:
    """The order if this line was credited by it or asked for it; otherwise it does not exist."""
    try:
        order = topup_order_get(order_id=order_id)
    except TopupNotFound as error:
        raise Http404 from error
    if sim.pk not in (order.sim_id, order.requested_by_id):
        raise Http404
    return order


@dataclass(frozen=True)
class ReceiptView:
    receipt: Receipt
    number: str
    channel: str
    method: str
    amount: str
    net_amount: str
    vat_amount: str


def _receipt_view(receipt: Receipt, language: str) -> ReceiptView:
    return ReceiptView(
        receipt=receipt,
        number=format_msisdn_national(receipt.msisdn),
        channel=channel_label(receipt.channel),
        method=_method_words(receipt.payment_method, receipt.payment_instrument_masked),
        amount=format_amount_for_locale(receipt.amount_cents, language),
        net_amount=format_amount_for_locale(receipt.net_cents, language),
        vat_amount=format_amount_for_locale(receipt.vat_cents, language),
    )


def _receipt_pending(
    request: HttpRequest, order: TopupOrder, error: ReceiptNotAvailable
) -> HttpResponse:
    context = {"order": order, "status_words": _status_words(order.status), "error": error}
    return render(request, "web/receipt_pending.html", context, status=error.http_status)


@login_required_sim
def receipt(request: HttpRequest, order_id: uuid.UUID, *, sim: Sim) -> HttpResponse:
    order = _order_of_line(order_id, sim)
    try:
        built = topup_receipt_build(order=order)
    except ReceiptNotAvailable as error:
        return _receipt_pending(request, order, error)
    context = {"order": order, "view": _receipt_view(built, request.LANGUAGE_CODE)}
    response = render(request, "web/receipt.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required_sim
def receipt_pdf(request: HttpRequest, order_id: uuid.UUID, *, sim: Sim) -> HttpResponse:
    order = _order_of_line(order_id, sim)
    try:
        built = topup_receipt_build(order=order)
    except ReceiptNotAvailable as error:
        return _receipt_pending(request, order, error)
    pdf = receipt_render_pdf(receipt=built, language=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{built.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
