"""The console's home: the agent's shop, today's sales, and the queue (call next, served, no show).

The ticket an agent has called is kept in the session until it is finished: a ticket number is
no personal data, and the queue service checks that the ticket is this shop's and still called.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from topup.channels.shop.console.auth import staff_required
from topup.channels.shop.console.context import console_render
from topup.core.errors import ApplicationError
from topup.shops.models import StaffMembership
from topup.shops.selectors import (
    RECENT_SALES_LIMIT,
    shop_balance_cents,
    shop_sales_recent,
    shop_sales_today,
)
from topup.visits.services import queue_call_next, queue_ticket_finish, queue_wait_estimate

_SESSION_TICKET = "shop_console_ticket"  # {"id": ..., "number": ...} of the called ticket
HOME_SALES_SHOWN = 10


@require_GET
@staff_required
def home(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    sales = shop_sales_recent(membership=membership, limit=RECENT_SALES_LIMIT)
    context = {
        "shop": membership.shop,
        "balance_cents": shop_balance_cents(shop=membership.shop),
        "sales": sales[:HOME_SALES_SHOWN],
        "summary": shop_sales_today(membership=membership),
        "wait": queue_wait_estimate(shop=membership.shop),
        "ticket": _called_ticket(request),
    }
    return console_render(request, "shop/home.html", context, membership=membership)


@require_POST
@staff_required
def queue_next(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    if _called_ticket(request) is not None:
        messages.error(request, gettext("Finish the current ticket first: served or no show."))
        return redirect("shop:home")
    try:
        ticket = queue_call_next(shop=membership.shop, user=membership.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("shop:home")
    if ticket is None:
        messages.info(request, gettext("Nobody is waiting."))
    else:
        request.session[_SESSION_TICKET] = {"id": ticket.pk, "number": ticket.number}
    return redirect("shop:home")


@require_POST
@staff_required
def queue_finish(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    ticket = _called_ticket(request)
    outcome = request.POST.get("outcome", "")
    if ticket is None or outcome not in ("served", "no_show"):
        return redirect("shop:home")
    try:
        queue_ticket_finish(
            ticket_id=ticket["id"],
            user=membership.user,
            served=outcome == "served",
            shop=membership.shop,
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    request.session.pop(_SESSION_TICKET, None)
    return redirect("shop:home")


def _called_ticket(request: HttpRequest) -> dict[str, int] | None:
    value = request.session.get(_SESSION_TICKET)
    if not isinstance(value, dict):
        return None
    ticket_id, number = value.get("id"), value.get("number")
    if isinstance(ticket_id, int) and isinstance(number, int):
        return {"id": ticket_id, "number": number}
    return None
