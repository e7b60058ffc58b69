"""The online top-up: choose the number, amount and method; confirm the masked name; pay; follow.

The chosen number travels in POST bodies and the session, never in a URL. The order id in the
return and status URLs is a random UUID: the capability the payment page sends the payer back
with, so a guest can follow a top-up without logging in (the number is then shown masked).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Final

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from topup.catalog.models import Channel, ChannelCode
from topup.catalog.selectors import (
    channel_denominations_cents,
    channel_get,
    channel_payment_methods,
)
from topup.channels.web.session import web_actor, web_current_sim
from topup.core import clock
from topup.core.errors import ApplicationError
from topup.core.money import AmountParseError, format_amount, parse_amount_cents
from topup.core.money import format_amount_for_locale as money
from topup.core.sessions import session_key_stored
from topup.receipts.labels import payment_method_label
from topup.subscribers.models import Sim
from topup.subscribers.numbers import format_msisdn_national
from topup.subscribers.selectors import (
    saved_numbers_for,
    sim_balance,
    sim_get_by_msisdn,
    sim_masked_name,
    sim_topup_check,
)
from topup.topups.errors import InvalidAmount, TopupNotFound
from topup.topups.failures import failure_reason_message
from topup.topups.limits import topup_amount_check
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.selectors import topup_order_get
from topup.topups.services import TopupRequest, topup_order_create

_SESSION_PENDING: Final = "web_topup_pending"
_OTHER: Final = "other"
# After this long without an outcome the status page says so (the sweep reconciles at 60 s).
PENDING_LONG_AFTER_S: Final = 120
_WAITING: Final = (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT, TopupStatus.PAID)
_RETRYABLE: Final = (TopupStatus.FAILED, TopupStatus.EXPIRED)


# --- The pending choice, kept in the session between the form and the confirmation -------------


@dataclass(frozen=True)
class PendingTopup:
    msisdn: str
    amount_cents: int
    payment_method: str
    idempotency_key: str = ""


def _pending_get(session: SessionBase) -> PendingTopup | None:
    stored = session.get(_SESSION_PENDING)
    if not isinstance(stored, dict):
        return None
    msisdn, amount_cents = stored.get("msisdn"), stored.get("amount_cents")
    method, key = stored.get("payment_method"), stored.get("idempotency_key", "")
    if not (isinstance(msisdn, str) and isinstance(amount_cents, int) and isinstance(method, str)):
        return None
    return PendingTopup(msisdn, amount_cents, method, key if isinstance(key, str) else "")


def _pending_set(session: SessionBase, pending: PendingTopup) -> None:
    session[_SESSION_PENDING] = {
        "msisdn": pending.msisdn,
        "amount_cents": pending.amount_cents,
        "payment_method": pending.payment_method,
        "idempotency_key": pending.idempotency_key,
    }


def _online_channel() -> Channel:
    channel = channel_get(code=ChannelCode.ONLINE)
    if channel is None:
        raise LookupError("the online channel is not configured: load the catalog first")
    return channel


def _method_choices(channel: Channel, chosen: str) -> list[dict[str, object]]:
    return [
        {
            "code": method.code,
            "name": payment_method_label(method.code),
            "checked": method.code == chosen,
        }
        for method in channel_payment_methods(channel=channel)
    ]


# --- The form: number, amount, method ---------------------------------------------------------


@dataclass
class TopupFormInput:
    """What the customer chose or typed, kept as typed so the form shows it again on an error."""

    number_choice: str = ""  # the logged-in line's own or a saved number (E.164), or "other"
    # A typed number and a typed amount win over the chosen ones.
    msisdn: str = ""  # a typed number
    amount_choice: str = ""  # a preset amount in cents
    amount_other: str = ""  # a free amount as typed
    payment_method: str = ""
    errors: dict[str, str | Promise] = field(default_factory=dict)


def _form_input_from_post(request: HttpRequest, sim: Sim | None) -> TopupFormInput:
    post = request.POST
    return TopupFormInput(
        number_choice=post.get("number_choice", "") if sim else _OTHER,
        msisdn=post.get("msisdn", "")[:32],
        amount_choice=post.get("amount_choice", "")[:12],
        amount_other=post.get("amount_other", "")[:12],
        payment_method=post.get("payment_method", "")[:32],
    )


def _form_input_initial(
    pending: PendingTopup | None, sim: Sim | None, channel: Channel
) -> TopupFormInput:
    """A fresh form (own number, first method), or the pending choice when the customer came back
    with "Change"."""
    methods = channel_payment_methods(channel=channel)
    if pending is None:
        return TopupFormInput(
            number_choice=sim.msisdn if sim else _OTHER,
            payment_method=methods[0].code if methods else "",
        )
    known = _known_numbers(sim)
    denominations = channel_denominations_cents(channel=channel)
    preset = pending.amount_cents in denominations
    return TopupFormInput(
        number_choice=pending.msisdn if pending.msisdn in known else _OTHER,
        msisdn="" if pending.msisdn in known else format_msisdn_national(pending.msisdn),
        amount_choice=str(pending.amount_cents) if preset else "",
        amount_other="" if preset else format_amount(pending.amount_cents),
        payment_method=pending.payment_method,
    )


def _known_numbers(sim: Sim | None) -> dict[str, str | Promise]:
    """The numbers a logged-in line picks from: its own, then its saved ones by nickname."""
    if sim is None:
        return {}
    numbers: dict[str, str | Promise] = {sim.msisdn: _("My number")}
    for saved in saved_numbers_for(owner=sim):
        numbers.setdefault(saved.msisdn, saved.nickname)
    return numbers


def _target_line(form: TopupFormInput, sim: Sim | None) -> Sim | None:
    # A typed number wins over a chosen one, as a typed amount does: the customer meant it.
    known = _known_numbers(sim)
    typed = bool(form.msisdn.strip()) or form.number_choice not in known
    text = form.msisdn if typed else form.number_choice
    if not text.strip():
        form.errors["msisdn"] = _("Type the mobile number to top up, for example 0470 12 34 56.")
        return None
    try:
        target = sim_get_by_msisdn(msisdn=text)
        sim_topup_check(sim=target)
    except ApplicationError as error:
        form.errors["msisdn"] = error.message
        return None
    return target


def _amount_cents(form: TopupFormInput, channel: Channel) -> int | None:
    if form.amount_other.strip():
        try:
            return parse_amount_cents(form.amount_other)
        except AmountParseError:
            form.errors["amount"] = InvalidAmount().message
            return None
    if form.amount_choice.isdigit() and int(form.amount_choice) in channel_denominations_cents(
        channel=channel
    ):
        return int(form.amount_choice)
    form.errors["amount"] = _("Choose an amount or type another amount.")
    return None


def _form_validate(form: TopupFormInput, sim: Sim | None, channel: Channel) -> PendingTopup | None:
    target = _target_line(form, sim)
    amount_cents = _amount_cents(form, channel)
    if target is not None and amount_cents is not None:
        try:
            # Read-only here; topup_order_create checks again with the line locked.
            topup_amount_check(channel=channel, sim=target, amount_cents=amount_cents)
        except ApplicationError as error:
            form.errors["amount"] = error.message
    offered = {method.code for method in channel_payment_methods(channel=channel)}
    if form.payment_method not in offered:
        form.errors["payment_method"] = _("Choose how you want to pay.")
    if form.errors or target is None or amount_cents is None:
        return None
    return PendingTopup(target.msisdn, amount_cents, form.payment_method)


def _form_context(
    request: HttpRequest, form: TopupFormInput, sim: Sim | None, channel: Channel
) -> dict[str, object]:
    language = request.LANGUAGE_CODE
    numbers = [
        {
            "value": msisdn,
            "label": label,
            "number": format_msisdn_national(msisdn),
            "checked": form.number_choice == msisdn,
        }
        for msisdn, label in _known_numbers(sim).items()
    ]
    denominations = [
        {
            "value": str(cents),
            "label": money(cents, language),
            "checked": form.amount_choice == str(cents),
        }
        for cents in channel_denominations_cents(channel=channel)
    ]
    return {
        "form": form,
        "numbers": numbers,
        "other_checked": form.number_choice == _OTHER or not numbers,
        "denominations": denominations,
        "free_amount_allowed": channel.free_amount_allowed,
        "min_amount": money(channel.min_amount_cents, language),
        "max_amount": money(channel.max_amount_cents, language),
        "methods": _method_choices(channel, form.payment_method),
    }


@require_http_methods(["GET", "POST"])
def topup_form(request: HttpRequest) -> HttpResponse:
    """Step 1, for a logged-in line and for a guest alike."""
    sim = web_current_sim(request)
    channel = _online_channel()
    if request.method == "POST":
        form = _form_input_from_post(request, sim)
        pending = _form_validate(form, sim, channel)
        if pending is not None:
            _pending_set(request.session, pending)
            return redirect("web:topup-confirm")
        context = _form_context(request, form, sim, channel)
        return render(request, "web/topup_form.html", context, status=422)
    form = _form_input_initial(_pending_get(request.session), sim, channel)
    return render(request, "web/topup_form.html", _form_context(request, form, sim, channel))


# --- The confirmation: the number with the name on record masked, then pay ----------------------


def _idempotency_scope(request: HttpRequest, sim: Sim | None) -> str:
    if sim is not None:
        return f"web:sim:{sim.pk}"
    if request.session.session_key is None:
        request.session.save()
    # The digest the session table keeps: the cookie itself is never stored.
    return f"web:session:{session_key_stored(str(request.session.session_key))}"


def _confirm_context(request: HttpRequest, pending: PendingTopup, target: Sim) -> dict[str, object]:
    viewer = web_current_sim(request)
    return {
        "number": format_msisdn_national(target.msisdn),
        "masked_name": sim_masked_name(sim=target),
        "own_number": viewer is not None and viewer.pk == target.pk,
        "amount": money(pending.amount_cents, request.LANGUAGE_CODE),
        "method_name": payment_method_label(pending.payment_method),
        "idempotency_key": pending.idempotency_key,
    }


def _confirm_render(
    request: HttpRequest,
    pending: PendingTopup,
    target: Sim,
    *,
    error: str | Promise | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirmation page with a fresh idempotency key: a refusal consumed the last one."""
    if error is not None or not pending.idempotency_key:
        pending = PendingTopup(
            pending.msisdn, pending.amount_cents, pending.payment_method, str(uuid.uuid4())
        )
        _pending_set(request.session, pending)
    context = _confirm_context(request, pending, target)
    context["error"] = error
    return render(request, "web/topup_confirm.html", context, status=status)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _order_create(request: HttpRequest, pending: PendingTopup) -> TopupOrder:
    sim = web_current_sim(request)
    topup_request = TopupRequest(
        msisdn=pending.msisdn,
        amount_cents=pending.amount_cents,
        currency="EUR",
        payment_method=pending.payment_method,
        channel=ChannelCode.ONLINE,
        idempotency_scope=_idempotency_scope(request, sim),
        idempotency_key=pending.idempotency_key,
        requested_by=sim,
        language=request.LANGUAGE_CODE,
    )
    return topup_order_create(request=topup_request, actor=web_actor(request, sim))


@require_http_methods(["GET", "POST"])
def topup_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: check the masked name, then go to the payment page (one order per key)."""
    pending = _pending_get(request.session)
    if pending is None:
        return redirect("web:topup")
    try:
        target = sim_get_by_msisdn(msisdn=pending.msisdn)
    except ApplicationError:
        return redirect("web:topup")
    if request.method == "GET":
        return _confirm_render(request, pending, target)
    if request.POST.get("idempotency_key", "") != pending.idempotency_key:
        # A page from before the choice changed (another tab, the back button): show what is
        # chosen now instead of paying for what that old page said.
        stale = _("The details changed since this page was shown. Check them and confirm again.")
        return _confirm_render(request, pending, target, error=stale, status=409)
    try:
        order = _order_create(request, pending)
    except ApplicationError as error:
        return _confirm_render(request, pending, target, error=error.message, status=422)
    if order.status == TopupStatus.AWAITING_PAYMENT and order.payment_redirect_url:
        return _see_other(order.payment_redirect_url)
    if order.status == TopupStatus.FAILED:
        # Refused before any payment page (provider unreachable), or a resubmitted page of a
        # failed payment: say why, with a fresh key for the next attempt.
        reason = failure_reason_message(order.failure_reason)
        # Not 503: the session (with the fresh key) is saved only for responses below 500.
        return _confirm_render(request, pending, target, error=reason)
    # A resubmitted page for an order that has moved on: follow that order, never pay twice.
    return _see_other(reverse("web:topup-return", kwargs={"order_id": order.pk}))


# --- After the payment page: the status that updates itself -----------------------------------


def _status_state(order: TopupOrder) -> str:
    if order.status in _WAITING:
        waited = clock.now() - order.created_at
        return "waiting_long" if waited.total_seconds() > PENDING_LONG_AFTER_S else "waiting"
    if order.status == TopupStatus.CREDITED:
        return "credited"
    if order.status == TopupStatus.REFUNDED:
        return "refunded"
    return "failed"


def _masked_number(msisdn: str) -> str:
    """`0470 •• •• 01`: enough to recognise one's own number, not to learn someone else's."""
    national = format_msisdn_national(msisdn)
    return national[:4] + " •• •• " + national[-2:]


def _status_context(request: HttpRequest, order: TopupOrder) -> dict[str, object]:
    viewer = web_current_sim(request)
    is_owner = viewer is not None and viewer.pk == order.sim_id
    is_requester = viewer is not None and viewer.pk == order.requested_by_id
    state = _status_state(order)
    language = request.LANGUAGE_CODE
    context: dict[str, object] = {
        "order": order,
        "state": state,
        "polling": state in ("waiting", "waiting_long"),
        "poll_every": "every 5s" if state == "waiting_long" else "every 2s",
        "amount": money(order.amount_cents, language),
        "number": format_msisdn_national(order.sim.msisdn)
        if is_owner or is_requester
        else _masked_number(order.sim.msisdn),
        "show_receipt_links": is_owner or is_requester,
    }
    if state == "credited" and is_owner:
        balance = sim_balance(sim=order.sim)
        context["balance"] = money(balance.paid_cents + balance.promo_cents, language)
    if state == "failed":
        context["failure_text"] = failure_reason_message(order.failure_reason)
        context["methods"] = _method_choices(_online_channel(), order.payment_method)
    return context


def _order_or_404(request: HttpRequest, order_id: uuid.UUID) -> TopupOrder | HttpResponse:
    try:
        return topup_order_get(order_id=order_id)
    except TopupNotFound:
        return render(request, "web/topup_not_found.html", status=404)


@require_GET
def topup_return(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """Where the payment page sends the payer back: the status, updating itself until final."""
    order = _order_or_404(request, order_id)
    if isinstance(order, HttpResponse):
        return order
    return render(request, "web/topup_return.html", _status_context(request, order))


@require_GET
def topup_status(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """The status block alone, polled by htmx; 204 (nothing to swap) while nothing changed."""
    order = _order_or_404(request, order_id)
    if isinstance(order, HttpResponse):
        return order
    context = _status_context(request, order)
    if context["polling"] and request.GET.get("shown") == context["state"]:
        return HttpResponse(status=204)
    return render(request, "web/_topup_status.html", context)


@require_POST
def topup_retry(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """Start again from a failed top-up: same number and amount, the chosen method, a new key."""
    order = _order_or_404(request, order_id)
    if isinstance(order, HttpResponse):
        return order
    if order.status not in _RETRYABLE:
        return redirect("web:topup-return", order_id=order.pk)
    offered = {method.code for method in channel_payment_methods(channel=_online_channel())}
    method = request.POST.get("payment_method", "")
    pending = PendingTopup(
        msisdn=order.sim.msisdn,
        amount_cents=order.amount_cents,
        payment_method=method if method in offered else order.payment_method,
    )
    _pending_set(request.session, pending)
    return redirect("web:topup-confirm")
