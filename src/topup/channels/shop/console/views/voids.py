"""Voids waiting in this shop: a manager approves (a reversing transfer) or refuses them; others
see their status. The service decides who may approve; the page only hides buttons that would
be refused.
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
from topup.shops.models import StaffMembership, StaffRole
from topup.shops.selectors import shop_voids_pending
from topup.shops.services import shop_void_approve, shop_void_refuse

REFUSAL_REASON_MAX_CHARS = 255


@require_GET
@staff_required
def voids(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    context = {
        "voids": shop_voids_pending(membership=membership),
        "can_decide": membership.role == StaffRole.SHOP_MANAGER,
    }
    return console_render(request, "shop/voids.html", context, membership=membership)


@require_POST
@staff_required
def void_decide(request: HttpRequest, membership: StaffMembership, void_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    try:
        if decision == "approve":
            shop_void_approve(membership=membership, void_id=void_id)
            messages.success(request, gettext("Void approved: the sale is reversed."))
        elif decision == "refuse":
            reason = request.POST.get("reason", "")[:REFUSAL_REASON_MAX_CHARS]
            shop_void_refuse(membership=membership, void_id=void_id, reason=reason)
            messages.info(request, gettext("Void refused: the sale stands."))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("shop:voids")
