"""The account at a glance, and the help page with what to do when something goes wrong."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from topup.catalog.selectors import brand_for_operator, operator_get
from topup.channels.web.session import login_required_sim
from topup.core.money import format_amount_for_locale
from topup.messaging.services import OTP_MAX_ATTEMPTS, OTP_RESEND_COOLDOWN_S, OTP_TTL_S
from topup.subscribers.models import Sim, SimStatus
from topup.subscribers.selectors import sim_balance, sim_has_open_hold

# A line's status as a customer needs to hear it: what it means for them.
_STATUS_IN_WORDS: dict[str, Promise] = {
    SimStatus.ACTIVE: _("Active: you can call, text, use data and top up."),
    SimStatus.AWAITING_IDENTIFICATION: _(
        "Not identified yet: the line works only once you have identified yourself."
    ),
    SimStatus.SUSPENDED: _("Suspended: contact customer service to use the line again."),
    SimStatus.TERMINATED: _("Closed: this line can no longer be used or topped up."),
}


@require_GET
@login_required_sim
def account(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    balance = sim_balance(sim=sim)
    language = request.LANGUAGE_CODE
    low_balance_alert_cents = sim.subscriber.low_balance_alert_cents if sim.subscriber else 0
    context = {
        "sim": sim,
        "balance": balance,
        "paid_amount": format_amount_for_locale(balance.paid_cents, language),
        "promo_amount": format_amount_for_locale(balance.promo_cents, language),
        "status_in_words": _STATUS_IN_WORDS.get(sim.status, sim.status),
        "plan": sim.plan,
        "plan_price": format_amount_for_locale(sim.plan.price_cents, language) if sim.plan else "",
        "needs_identification": sim.status == SimStatus.AWAITING_IDENTIFICATION,
        "is_held": sim_has_open_hold(sim=sim),
        "balance_low": balance.paid_cents < low_balance_alert_cents,
        "low_balance_alert_amount": format_amount_for_locale(low_balance_alert_cents, language),
    }
    context["needs_attention"] = (
        context["needs_identification"] or context["is_held"] or context["balance_low"]
    )
    return render(request, "web/account.html", context)


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    operator = operator_get()
    brand = brand_for_operator(operator=operator)
    context = {
        "operator": operator,
        "sender_name": brand.sms_sender_name if brand else operator.name,
        "resend_cooldown_s": OTP_RESEND_COOLDOWN_S,
        "code_ttl_minutes": OTP_TTL_S // 60,
        "code_max_attempts": OTP_MAX_ATTEMPTS,
        "pending_max_minutes": settings.TOPUP_ORDER_TTL_S // 60,
    }
    return render(request, "web/help.html", context)
