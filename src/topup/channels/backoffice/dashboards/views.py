"""Back office: the operations dashboard, its figures and charts over a chosen window.

With htmx the figures refresh themselves every 30 seconds: the same view answers an htmx request
with the figures fragment only, so one route (and one permission) serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from topup.channels.backoffice.auth import backoffice_view
from topup.channels.backoffice.context import backoffice_error, backoffice_render
from topup.core import clock
from topup.core.money import format_amount_for_locale
from topup.dashboards.charts import chart_failure_reasons, chart_topups_per_hour
from topup.dashboards.errors import DashboardWindowInvalid
from topup.dashboards.selectors import (
    ChannelFigures,
    DashboardOverview,
    PendingOrder,
    dashboard_overview,
)
from topup.receipts.labels import channel_label
from topup.staff.roles import Permission

WINDOW_CHOICES_HOURS: Final = (6, 24, 72)
DEFAULT_WINDOW_HOURS: Final = 24
REFRESH_EVERY_S: Final = 30
PAGE_TEMPLATE: Final = "backoffice/dashboards/index.html"
FIGURES_TEMPLATE: Final = "backoffice/dashboards/_figures.html"


@dataclass(frozen=True)
class ChannelRow:
    figures: ChannelFigures
    credited_amount: str


@dataclass(frozen=True)
class PendingRow:
    order: PendingOrder
    amount: str


def _window_hours(text: str | None) -> int:
    """The ?hours= of the page: absent means the default; anything but a number is refused."""
    if not text:
        return DEFAULT_WINDOW_HOURS
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise DashboardWindowInvalid(details={"hours": text[:10]})
    return int(text)


def _figures_context(overview: DashboardOverview, language: str) -> dict[str, object]:
    def money(amount_cents: int) -> str:
        return format_amount_for_locale(amount_cents, language)

    return {
        "overview": overview,
        "hours": overview.window.hours,
        "refreshed_at": clock.now(),
        "refresh_every_s": REFRESH_EVERY_S,
        "channel_rows": [
            ChannelRow(figures=figures, credited_amount=money(figures.credited_cents))
            for figures in overview.channels.channels
        ],
        "credited_amount_total": money(overview.channels.credited_cents),
        "pending_rows": [
            PendingRow(order=order, amount=money(order.amount_cents))
            for order in overview.pending.orders
        ],
        "per_hour_channel_labels": [channel_label(code) for code in overview.per_hour.channels],
        "per_hour_chart": chart_topups_per_hour(figures=overview.per_hour),
        "failures_chart": chart_failure_reasons(figures=overview.failures),
    }


@backoffice_view(Permission.DASHBOARD_VIEW)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Top-ups per channel and hour, success rates, failures, stuck orders, kiosks, queues."""
    try:
        hours = _window_hours(request.GET.get("hours"))
        overview = dashboard_overview(hours=hours)
    except DashboardWindowInvalid as error:
        return backoffice_error(request, error)
    context = _figures_context(overview, get_language() or "en")
    context["window_choices"] = WINDOW_CHOICES_HOURS
    partial = request.headers.get("HX-Request") == "true"
    response = backoffice_render(request, FIGURES_TEMPLATE if partial else PAGE_TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
