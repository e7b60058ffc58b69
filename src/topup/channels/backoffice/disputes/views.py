"""Back office: the disputes queue, one dispute with its order and history, resolve and approve.

The services decide (who may approve, what the threshold means, what money moves); these pages
only hide buttons that would be refused and show each refusal with its code and next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from topup.audit.services import audit_record
from topup.channels.backoffice.auth import backoffice_actor, backoffice_view
from topup.channels.backoffice.context import backoffice_error, backoffice_render
from topup.channels.backoffice.disputes.forms import (
    ACTIVE,
    ALL,
    DisputeQueueFilterForm,
    DisputeResolveForm,
)
from topup.core import clock
from topup.core.errors import ApplicationError
from topup.core.money import format_amount, format_amount_for_locale
from topup.disputes.models import (
    ACTIVE_STATUSES,
    Dispute,
    DisputeEvent,
    DisputeReason,
    DisputeStatus,
)
from topup.disputes.selectors import dispute_get, disputes_queue
from topup.disputes.services import dispute_approve, dispute_resolve
from topup.receipts.labels import channel_label, payment_method_label
from topup.staff.roles import Permission, staff_may
from topup.subscribers.numbers import format_msisdn_masked

QUEUE_LIMIT: Final = 200


@dataclass(frozen=True)
class QueueRow:
    dispute: Dispute
    receipt_number: str
    amount: str
    reason: str
    age: str
    number: str


def _reason_words(reason: str) -> str:
    return str(DisputeReason(reason).label) if reason in DisputeReason.values else reason


def _status_words(status: str) -> str:
    return str(DisputeStatus(status).label) if status in DisputeStatus.values else status


def _queue_rows(disputes: list[Dispute], language: str) -> list[QueueRow]:
    now = clock.now()
    return [
        QueueRow(
            dispute=dispute,
            receipt_number=dispute.order.receipt_number or "",
            amount=format_amount_for_locale(dispute.order.amount_cents, language),
            reason=_reason_words(dispute.reason),
            age=timesince(dispute.created_at, now=now, depth=1),
            number=format_msisdn_masked(dispute.order.sim.msisdn),
        )
        for dispute in disputes
    ]


def _queue(chosen: str) -> list[Dispute]:
    """One more than QUEUE_LIMIT, newest first: the extra row says the list was cut."""
    if chosen == ALL:
        queryset = disputes_queue()
    elif chosen == ACTIVE:
        queryset = disputes_queue().filter(status__in=ACTIVE_STATUSES)
    else:
        queryset = disputes_queue(status=chosen)
    return list(queryset[: QUEUE_LIMIT + 1])


@backoffice_view(Permission.DISPUTE_VIEW)
@require_GET
def dispute_queue(request: HttpRequest) -> HttpResponse:
    """The disputes that still need someone (open, or awaiting approval); a filter shows others."""
    form = DisputeQueueFilterForm(request.GET or None)
    disputes = _queue(form.chosen())
    context = {
        "form": form,
        "rows": _queue_rows(disputes[:QUEUE_LIMIT], request.LANGUAGE_CODE),
        "limit": QUEUE_LIMIT,
        "truncated": len(disputes) > QUEUE_LIMIT,
    }
    return backoffice_render(request, "backoffice/disputes/queue.html", context)


def _order_facts(dispute: Dispute, language: str) -> dict[str, str]:
    order = dispute.order
    method = payment_method_label(order.payment_method)
    return {
        "receipt_number": order.receipt_number or "",
        "amount": format_amount_for_locale(order.amount_cents, language),
        "status": order.get_status_display(),
        "channel": channel_label(order.channel),
        "method": f"{method} {order.payment_instrument_masked}".strip(),
        "number": format_msisdn_masked(order.sim.msisdn),
    }


@dataclass(frozen=True)
class EventRow:
    event: DisputeEvent
    who: str


def _staff_names(staff_ids: set[str]) -> dict[str, str]:
    numeric = [int(staff_id) for staff_id in staff_ids if staff_id.isdigit()]
    return {
        str(pk): name
        for pk, name in User.objects.filter(pk__in=numeric).values_list("pk", "username")
    }


def _event_rows(dispute: Dispute) -> list[EventRow]:
    """The history with who did it by name: staff by username, the customer as "customer"."""
    events = list(dispute.events.order_by("at", "pk"))
    actors = [event.actor.partition(":") for event in events]
    names = _staff_names({actor_id for kind, _sep, actor_id in actors if kind == "staff"})
    rows = []
    for event, (kind, _sep, actor_id) in zip(events, actors, strict=True):
        if kind == "staff":
            who = names.get(actor_id, event.actor)
        elif kind == "subscriber":
            who = gettext("Customer")
        else:
            who = event.actor
        rows.append(EventRow(event=event, who=who))
    return rows


def _detail_render(
    request: HttpRequest,
    dispute: Dispute,
    form: DisputeResolveForm,
    *,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    language = request.LANGUAGE_CODE
    viewer_id = str(request.user.pk)
    awaiting = dispute.status == DisputeStatus.AWAITING_APPROVAL
    threshold_cents: int = settings.TOPUP_FOUR_EYES_THRESHOLD_CENTS
    context = {
        "dispute": dispute,
        "reason": _reason_words(dispute.reason),
        "status_words": _status_words(dispute.status),
        "order_facts": _order_facts(dispute, language),
        "events": _event_rows(dispute),
        "proposed_by": _staff_names({dispute.proposed_by}).get(dispute.proposed_by, ""),
        "proposed_amount": format_amount_for_locale(dispute.amount_cents, language)
        if dispute.amount_cents is not None
        else "",
        "form": form,
        "error": error,
        "threshold": format_amount_for_locale(threshold_cents, language),
        "threshold_cents": threshold_cents,
        "may_resolve": dispute.status in ACTIVE_STATUSES
        and staff_may(request.user, Permission.DISPUTE_RESOLVE),
        "may_approve": awaiting
        and staff_may(request.user, Permission.DISPUTE_APPROVE)
        and str(dispute.proposed_by) != viewer_id,
        "own_proposal": awaiting and str(dispute.proposed_by) == viewer_id,
    }
    return backoffice_render(request, "backoffice/disputes/detail.html", context, status=status)


def _resolve_form_initial(dispute: Dispute) -> DisputeResolveForm:
    return DisputeResolveForm(initial={"amount": format_amount(dispute.order.amount_cents)})


def _see_detail(dispute: Dispute) -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse("backoffice:dispute-detail", args=[dispute.pk]))
    response.status_code = 303
    return response


@backoffice_view(Permission.DISPUTE_VIEW)
@require_GET
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    try:
        dispute = dispute_get(dispute_id=dispute_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    # The page shows the customer's own words and their order: a look at personal data.
    audit_record(
        actor=backoffice_actor(request),
        action="dispute.viewed",
        object_type="dispute",
        object_id=dispute.pk,
    )
    return _detail_render(request, dispute, _resolve_form_initial(dispute))


@backoffice_view(Permission.DISPUTE_RESOLVE)
@require_POST
def dispute_resolve_submit(request: HttpRequest, dispute_id: int) -> HttpResponse:
    try:
        dispute = dispute_get(dispute_id=dispute_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    form = DisputeResolveForm(request.POST)
    if not form.is_valid():
        return _detail_render(request, dispute, form, status=422)
    try:
        dispute = dispute_resolve(
            dispute=dispute,
            outcome=form.cleaned_data["outcome"],
            amount_cents=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            actor=backoffice_actor(request),
        )
    except ApplicationError as error:
        shown = None if form.add_service_error(error) else error
        dispute = dispute_get(dispute_id=dispute.pk)  # as it is now, after the refusal
        return _detail_render(request, dispute, form, error=shown, status=error.http_status)
    if dispute.status == DisputeStatus.AWAITING_APPROVAL:
        messages.info(request, gettext("Proposed. Nothing is paid until a colleague approves it."))
    else:
        messages.success(request, gettext("Decided. The customer gets the outcome by SMS."))
    return _see_detail(dispute)


@backoffice_view(Permission.DISPUTE_APPROVE)
@require_POST
def dispute_approve_submit(request: HttpRequest, dispute_id: int) -> HttpResponse:
    try:
        dispute = dispute_get(dispute_id=dispute_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    try:
        dispute = dispute_approve(dispute=dispute, actor=backoffice_actor(request))
    except ApplicationError as error:
        dispute = dispute_get(dispute_id=dispute.pk)  # as it is now, after the refusal
        form = _resolve_form_initial(dispute)
        return _detail_render(request, dispute, form, error=error, status=error.http_status)
    messages.success(
        request, gettext("Approved and executed. The customer gets the outcome by SMS.")
    )
    return _see_detail(dispute)
