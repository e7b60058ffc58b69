"""The operator's plans and what each includes, so a customer can choose."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.views.decorators.http import require_GET

from topup.catalog.selectors import operator_get, plans_active
from topup.channels.web.session import web_current_sim
from topup.core.money import format_amount_for_locale

MAX_PLANS_SHOWN = 50
MB_PER_GB = 1024


@dataclass(frozen=True)
class PlanView:
    name: str
    price: str
    data_gb: str  # "" when the plan has no data
    voice_minutes: int
    voice_minutes_text: str
    sms_count: int
    sms_count_text: str
    validity_days: int
    current: bool


def _data_gb(data_mb: int) -> str:
    """5120 MB → "5", 1536 MB → "1.5" in the request's number format (to a tenth of a GB)."""
    tenths = round(data_mb * 10 / MB_PER_GB)
    if tenths == 0:
        return ""
    if tenths % 10 == 0:
        return number_format(tenths // 10, force_grouping=True)
    return number_format(tenths / 10, decimal_pos=1, force_grouping=True)


@require_GET
def plans(request: HttpRequest) -> HttpResponse:
    sim = web_current_sim(request)
    language = request.LANGUAGE_CODE
    shown = [
        PlanView(
            name=plan.name,
            price=format_amount_for_locale(plan.price_cents, language),
            data_gb=_data_gb(plan.data_mb),
            voice_minutes=plan.voice_minutes,
            voice_minutes_text=number_format(plan.voice_minutes, force_grouping=True),
            sms_count=plan.sms_count,
            sms_count_text=number_format(plan.sms_count, force_grouping=True),
            validity_days=plan.validity_days,
            current=sim is not None and sim.plan_id == plan.pk,
        )
        for plan in plans_active(operator=operator_get())[:MAX_PLANS_SHOWN]
    ]
    return render(request, "web/plans.html", {"plans": shown})
