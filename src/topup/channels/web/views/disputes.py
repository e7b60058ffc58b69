"""Disputes on the website: report a problem with a top-up from its receipt, then follow the answer.

Who may see what: a line reports problems with the orders it was credited by or asked for (any
other order id answers 404), and sees only the disputes it opened itself, never another line's
message. The receipt page loads the panel (the form and this line's disputes on the order) with
htmx; without JavaScript its link opens the same panel as a page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from topup.channels.web.session import login_required_sim, web_actor
from topup.core.errors import ApplicationError
from topup.core.money import format_amount_for_locale
from topup.disputes.errors import DisputeNotFound, DisputeOrderNotEligible
from topup.disputes.models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    MESSAGE_MAX_CHARS,
    Dispute,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
)
from topup.disputes.selectors import dispute_get, disputes_for_order
from topup.disputes.services import DISPUTABLE_STATUSES, dispute_open
from topup.subscribers.models import Sim
from topup.subscribers.numbers import format_msisdn_national
from topup.topups.errors import TopupNotFound
from topup.topups.models import TopupOrder
from topup.topups.selectors import topup_order_get

# What the customer reads: the back office's four-eyes step is "still being looked at" to them.
STATUS_WORDS: Final[dict[str, str | Promise]] = {
    DisputeStatus.OPEN: _("We are looking into it"),
    DisputeStatus.AWAITING_APPROVAL: _("We are looking into it"),
    DisputeStatus.RESOLVED: _("Answered"),
    DisputeStatus.REJECTED: _("Answered"),
}


class DisputeOpenForm(forms.Form):
    reason = forms.ChoiceField(label=_("What went wrong?"), choices=DisputeReason.choices)
    message = forms.CharField(
        label=_("Tell us what happened"),
        max_length=MESSAGE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MESSAGE_MAX_CHARS}),
        error_messages={
            "max_length": _("Keep the description to %(limit_value)d characters or fewer."),
        },
    )


@dataclass(frozen=True)
class DisputeView:
    """A dispute in the customer's words: its status, and the outcome once it is answered."""

    dispute: Dispute
    reason: str
    status: str
    outcome: str
    answered: bool
    # A rejection's note is written for the customer; the note on a refund may be internal.
    rejection_note: str


def _outcome_words(dispute: Dispute, language: str) -> str:
    """The outcome as the customer reads it; empty while the dispute is still open."""
    if dispute.status not in FINAL_STATUSES:
        return ""
    amount = format_amount_for_locale(dispute.amount_cents or 0, language)
    if dispute.outcome == DisputeOutcome.REFUND:
        return gettext("We refunded %(amount)s to the card or account you paid with.") % {
            "amount": amount
        }
    if dispute.outcome == DisputeOutcome.GOODWILL:
        return gettext("We added %(amount)s of credit to %(number)s.") % {
            "amount": amount,
            "number": format_msisdn_national(dispute.order.sim.msisdn),
        }
    return gettext(
        "We checked your report and could not accept it, so nothing was refunded. "
        "Contact customer service if you disagree."
    )


def _dispute_view(dispute: Dispute, language: str) -> DisputeView:
    return DisputeView(
        dispute=dispute,
        reason=str(DisputeReason(dispute.reason).label),
        status=str(STATUS_WORDS.get(dispute.status, dispute.status)),
        outcome=_outcome_words(dispute, language),
        answered=dispute.status in FINAL_STATUSES,
        rejection_note=dispute.resolution_note if dispute.status == DisputeStatus.REJECTED else "",
    )


def _order_of_line(order_id: uuid.UUID, sim: Sim) -> TopupOrder:
    """The order if this line was credited by it or asked for it; otherwise it does not exist."""
    try:
        order = topup_order_get(order_id=order_id)
    except TopupNotFound as error:
        raise Http404 from error
    if sim.pk not in (order.sim_id, order.requested_by_id):
        raise Http404
    return order


def _panel_render(
    request: HttpRequest,
    order: TopupOrder,
    sim: Sim,
    form: DisputeOpenForm,
    *,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The panel alone for htmx (the receipt page swaps it in), else the page around it."""
    language = request.LANGUAGE_CODE
    # Only the disputes this line opened: another line's message is not for it to read.
    disputes = [d for d in disputes_for_order(order=order) if d.opened_by_id == sim.pk]
    eligible = order.status in DISPUTABLE_STATUSES
    context = {
        "order": order,
        "form": form,
        "error": error,
        "disputes": [_dispute_view(dispute, language) for dispute in disputes],
        "amount": format_amount_for_locale(order.amount_cents, language),
        "not_eligible": None if eligible else DisputeOrderNotEligible().message,
        "can_open": eligible and not any(d.status in ACTIVE_STATUSES for d in disputes),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = "web/dispute_panel.html" if partial else "web/dispute_open.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required_sim
def dispute_open_page(request: HttpRequest, order_id: uuid.UUID, *, sim: Sim) -> HttpResponse:
    """GET: the form and this line's disputes on the order. POST: open a dispute, then follow it."""
    order = _order_of_line(order_id, sim)
    if request.method == "GET":
        return _panel_render(request, order, sim, DisputeOpenForm())
    form = DisputeOpenForm(request.POST)
    if not form.is_valid():
        return _panel_render(request, order, sim, form, status=422)
    try:
        dispute = dispute_open(
            order=order,
            opened_by=sim,
            reason=form.cleaned_data["reason"],
            message=form.cleaned_data["message"],
            actor=web_actor(request, sim),
        )
    except ApplicationError as error:
        # A refusal about one field is shown at that field; any other above the form.
        field = str(error.details.get("field", ""))
        if field in form.fields:
            form.add_error(field, str(error.message))
        return _panel_render(
            request,
            order,
            sim,
            form,
            error=None if field in form.fields else error,
            status=error.http_status,
        )
    response = HttpResponseRedirect(reverse("web:dispute-detail", args=[dispute.pk]))
    response.status_code = 303
    return response


@require_GET
@login_required_sim
def dispute_detail(request: HttpRequest, dispute_id: int, *, sim: Sim) -> HttpResponse:
    """One dispute, for the line that opened it; for anyone else it does not exist."""
    try:
        dispute = dispute_get(dispute_id=dispute_id)
    except DisputeNotFound as error:
        raise Http404 from error
    if dispute.opened_by_id != sim.pk:
        raise Http404
    language = request.LANGUAGE_CODE
    context = {
        "view": _dispute_view(dispute, language),
        "order": dispute.order,
        "amount": format_amount_for_locale(dispute.order.amount_cents, language),
    }
    response = render(request, "web/dispute_detail.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
