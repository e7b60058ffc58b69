"""Steps 4 to 7: the number on the keypad, the amount, the summary, the payment (the inserted
card or a Bancontact QR code) and the receipt. Numbers travel in POST bodies only, never in a URL.
"""

from __future__ import annotations

import uuid
from typing import Final

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from topup.catalog.models import ChannelCode
from topup.catalog.selectors import channel_denominations_cents, channel_get
from topup.channels.kiosk.device.context import kiosk_render
from topup.channels.kiosk.device.forms import AmountForm, NumberForm, PayForm
from topup.channels.kiosk.device.journey import (
    PAY_KEY,
    RECEIPT_REASON,
    RECEIPT_URL,
    TARGET_CONFIRMED,
    TARGET_MASKED_NAME,
    TARGET_OWN,
    journey_text,
    journey_wipe,
    kiosk_journey,
)
from topup.channels.kiosk.device.views.device import see_other
from topup.channels.kiosk.device.views.identity import qr_data_uri
from topup.core.errors import ApplicationError
from topup.core.money import format_amount_for_locale as money
from topup.kiosks.models import KioskDevice, KioskIdentity, KioskSession
from topup.kiosks.services import (
    kiosk_session_order_poll,
    kiosk_session_pay_bancontact,
    kiosk_session_pay_card,
    kiosk_session_receipt_print,
    kiosk_session_set_amount,
    kiosk_session_set_target,
)
from topup.subscribers.numbers import format_msisdn_national
from topup.topups.errors import ReceiptNotAvailable
from topup.topups.failures import FAILURE_REASON_MESSAGES, failure_reason_message
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import topup_receipt_build

_WAITING: Final = (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT, TopupStatus.PAID)
PRINTER_REASONS: Final[dict[str, Promise]] = {
    "out_of_paper": _("The printer is out of paper."),
    "offline": _("The printer is not working."),
}


def masked_number(msisdn: str) -> str:
    """`0470 •• •• 01`: enough to recognise one's own number, not to learn someone else's."""
    national = format_msisdn_national(msisdn)
    return national[:4] + " •• •• " + national[-2:]


# --- Step 4: the number ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@kiosk_journey
def number(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    if session.identity == KioskIdentity.NONE:
        return redirect("kiosk:identify")
    if request.method == "GET":
        return _number_page(request, device, session, form=NumberForm())
    form = NumberForm(request.POST)
    if not form.is_valid():
        return _number_page(request, device, session, form=form, status=422)
    customer = session.customer_sim
    own = bool(form.cleaned_data["own"]) and customer is not None
    msisdn = customer.msisdn if own and customer is not None else form.cleaned_data["msisdn"]
    try:
        target = kiosk_session_set_target(device=device, session_id=session.pk, msisdn=msisdn)
    except ApplicationError as error:
        form.add_error("msisdn", str(error.message))
        return _number_page(request, device, session, form=form, status=error.http_status)
    request.session[TARGET_MASKED_NAME] = target.masked_name
    request.session[TARGET_OWN] = target.own_number
    request.session[TARGET_CONFIRMED] = False
    return see_other(reverse("kiosk:number-confirm"))


def _number_page(
    request: HttpRequest,
    device: KioskDevice,
    session: KioskSession,
    *,
    form: NumberForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "own_number_offered": session.identity == KioskIdentity.QR
        and session.customer_sim is not None,
        "keys": ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
    }
    return kiosk_render(request, "kiosk/number.html", context, device=device, status=status)


@require_http_methods(["GET", "POST"])
@kiosk_journey
def number_confirm(
    request: HttpRequest, device: KioskDevice, session: KioskSession
) -> HttpResponse:
    """The number with the name on record masked: the customer checks it before paying."""
    if not session.target_msisdn:
        return redirect("kiosk:number")
    if request.method == "POST":
        request.session[TARGET_CONFIRMED] = True
        return see_other(reverse("kiosk:amount"))
    context = {
        "number": format_msisdn_national(session.target_msisdn),
        "masked_name": journey_text(request, TARGET_MASKED_NAME),
        "own_number": request.session.get(TARGET_OWN) is True,
    }
    return kiosk_render(request, "kiosk/number_confirm.html", context, device=device)


# --- Step 5: the amount -------------------------------------------------------------------------


def _kiosk_denominations_cents() -> list[int]:
    channel = channel_get(code=ChannelCode.KIOSK)
    if channel is None:
        raise LookupError("the kiosk channel is not configured: load the catalog first")
    return channel_denominations_cents(channel=channel)


@require_http_methods(["GET", "POST"])
@kiosk_journey
def amount(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    if not session.target_msisdn or request.session.get(TARGET_CONFIRMED) is not True:
        return redirect("kiosk:number")
    denominations = _kiosk_denominations_cents()
    if request.method == "GET":
        return _amount_page(request, device, denominations)
    form = AmountForm(request.POST, denominations_cents=denominations)
    if not form.is_valid():
        error = gettext("Choose one of the amounts.")
        return _amount_page(request, device, denominations, error=error, status=422)
    try:
        kiosk_session_set_amount(
            device=device, session_id=session.pk, amount_cents=form.cleaned_data["amount_cents"]
        )
    except ApplicationError as error:
        message = str(error.message)
        return _amount_page(request, device, denominations, error=message, status=error.http_status)
    request.session.pop(PAY_KEY, None)
    return see_other(reverse("kiosk:summary"))


def _amount_page(
    request: HttpRequest,
    device: KioskDevice,
    denominations: list[int],
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    choices = [(cents, money(cents, request.LANGUAGE_CODE)) for cents in denominations]
    context = {"denominations": choices, "error": error}
    return kiosk_render(request, "kiosk/amount.html", context, device=device, status=status)


# --- Step 6: the summary and the payment --------------------------------------------------------


def _ready_to_pay(request: HttpRequest, session: KioskSession) -> bool:
    return (
        bool(session.target_msisdn)
        and request.session.get(TARGET_CONFIRMED) is True
        and session.amount_cents is not None
    )


def _summary_render(
    request: HttpRequest,
    device: KioskDevice,
    session: KioskSession,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """A fresh idempotency key after a refusal (nothing was charged): a new attempt."""
    if error or not journey_text(request, PAY_KEY):
        request.session[PAY_KEY] = str(uuid.uuid4())
    assert session.amount_cents is not None
    context = {
        "number": format_msisdn_national(session.target_msisdn),
        "masked_name": journey_text(request, TARGET_MASKED_NAME),
        "amount": money(session.amount_cents, request.LANGUAGE_CODE),
        "card_masked": session.card_masked if session.identity == KioskIdentity.CARD else "",
        "idempotency_key": journey_text(request, PAY_KEY),
        "error": error,
    }
    return kiosk_render(request, "kiosk/summary.html", context, device=device, status=status)


@require_GET
@kiosk_journey
def summary(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    if not _ready_to_pay(request, session):
        return redirect("kiosk:amount")
    return _summary_render(request, device, session)


def _pay_key(request: HttpRequest) -> str | None:
    """The page's key, if it is the key of the summary shown now (not an old page)."""
    form = PayForm(request.POST)
    if not form.is_valid():
        return None
    key = str(form.cleaned_data["idempotency_key"])
    return key if key == journey_text(request, PAY_KEY) else None


def _refusal_text(error: ApplicationError) -> str:
    """A declined card says why (the bank's reason) in plain words; other refusals say theirs."""
    reason = error.details.get("reason")
    if isinstance(reason, str) and reason in FAILURE_REASON_MESSAGES:
        return str(failure_reason_message(reason))
    return str(error.message)


def _failure_text(order: TopupOrder) -> str:
    return str(failure_reason_message(order.failure_reason))


@require_POST
@kiosk_journey
def pay_card(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    """Charge the inserted card on the kiosk's card reader; the credit follows at once."""
    if not _ready_to_pay(request, session):
        return see_other(reverse("kiosk:amount"))
    key = _pay_key(request)
    if key is None:
        stale = gettext("The details changed since this page was shown. Check them and pay again.")
        return _summary_render(request, device, session, error=stale, status=409)
    try:
        order = kiosk_session_pay_card(device=device, session_id=session.pk, idempotency_key=key)
    except ApplicationError as error:
        status = 422 if error.http_status >= 500 else error.http_status  # keep the session
        return _summary_render(request, device, session, error=_refusal_text(error), status=status)
    if order.status in (TopupStatus.FAILED, TopupStatus.EXPIRED):
        return _summary_render(request, device, session, error=_failure_text(order), status=402)
    return see_other(reverse("kiosk:receipt"))


@require_http_methods(["GET", "POST"])
@kiosk_journey
def pay_bancontact(
    request: HttpRequest, device: KioskDevice, session: KioskSession
) -> HttpResponse:
    """POST: a Bancontact payment; GET: its QR code, waiting until the credit has arrived."""
    if request.method == "POST":
        if not _ready_to_pay(request, session):
            return see_other(reverse("kiosk:amount"))
        key = _pay_key(request)
        if key is None:
            stale = gettext(
                "The details changed since this page was shown. Check them and pay again."
            )
            return _summary_render(request, device, session, error=stale, status=409)
        try:
            kiosk_session_pay_bancontact(device=device, session_id=session.pk, idempotency_key=key)
        except ApplicationError as error:
            status = 422 if error.http_status >= 500 else error.http_status
            return _summary_render(
                request, device, session, error=_refusal_text(error), status=status
            )
        return see_other(reverse("kiosk:pay-bancontact"))
    current = _session_order(device, session)
    if current is None:
        return redirect("kiosk:summary")
    if current.status in (TopupStatus.CREDITED, TopupStatus.REFUNDED):
        return redirect("kiosk:receipt")
    context: dict[str, object] = {"order": current, "waiting": current.status in _WAITING}
    if current.status in _WAITING and current.payment_redirect_url:
        payment_url = request.build_absolute_uri(current.payment_redirect_url)
        context["qr"] = qr_data_uri(payment_url, title=gettext("Pay by Bancontact QR"))
    elif current.status not in _WAITING:
        request.session.pop(PAY_KEY, None)  # the next attempt is a new payment
        context["failure_text"] = _failure_text(current)
    return kiosk_render(request, "kiosk/pay_bancontact.html", context, device=device)


def _session_order(device: KioskDevice, session: KioskSession) -> TopupOrder | None:
    """The session's order as it stands now (a waiting online payment is reconciled first)."""
    try:
        return kiosk_session_order_poll(device=device, session_id=session.pk)
    except ApplicationError:
        return None


@require_GET
@kiosk_journey
def pay_status(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    """Polled by htmx every 2 s: 204 while the payment is open, then the next screen."""
    order = _session_order(device, session)
    if order is None or order.status not in _WAITING:
        return HttpResponseClientRedirect(reverse("kiosk:pay-bancontact"))
    return HttpResponse(status=204)


# --- Step 7: the receipt ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@kiosk_journey
def receipt(request: HttpRequest, device: KioskDevice, session: KioskSession) -> HttpResponse:
    """The credit has arrived: print the receipt, or show it here when the printer cannot."""
    order = session.order
    if order is None or order.status != TopupStatus.CREDITED:
        return redirect("kiosk:summary")
    if request.method == "GET":
        context = {
            "amount": money(order.amount_cents, request.LANGUAGE_CODE),
            "number": masked_number(session.target_msisdn),
        }
        return kiosk_render(request, "kiosk/receipt.html", context, device=device)
    try:
        outcome = kiosk_session_receipt_print(
            device=device, session_id=session.pk, order_id=order.pk
        )
    except ApplicationError as error:
        return kiosk_render(
            request, "kiosk/receipt.html", {"error": error}, device=device, status=422
        )
    if outcome.printed:
        journey_wipe(request, device)
        return see_other(reverse("kiosk:done"))
    request.session[RECEIPT_URL] = request.build_absolute_uri(outcome.receipt_url)
    request.session[RECEIPT_REASON] = outcome.reason
    return see_other(reverse("kiosk:receipt-screen"))


@require_GET
@kiosk_journey
def receipt_screen(
    request: HttpRequest, device: KioskDevice, session: KioskSession
) -> HttpResponse:
    """The printer could not print: the receipt on screen, with a QR code to the online one."""
    order = session.order
    url = journey_text(request, RECEIPT_URL)
    if order is None or not url:
        return redirect("kiosk:receipt")
    try:
        printed = topup_receipt_build(order=order)
    except ReceiptNotAvailable:
        return redirect("kiosk:receipt")
    language = request.LANGUAGE_CODE
    context = {
        "receipt": printed,
        "amount": money(printed.amount_cents, language),
        "vat": money(printed.vat_cents, language),
        "number": masked_number(printed.msisdn),
        "reason": PRINTER_REASONS.get(journey_text(request, RECEIPT_REASON), ""),
        "qr": qr_data_uri(url, title=gettext("Your receipt online")),
    }
    return kiosk_render(request, "kiosk/receipt_screen.html", context, device=device)
