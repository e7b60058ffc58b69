"""Reads for the shop counter: a shop's sales, voids waiting for a manager, the Z report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from topup.catalog.models import Shop
from topup.core import clock
from topup.core.errors import NotFound
from topup.ledger.selectors import ledger_account_balance_cents
from topup.receipts.zreport import ZReport, ZReportMethodTotal
from topup.shops.errors import OtherShop
from topup.shops.models import (
    CounterSale,
    CounterVoid,
    ShopAccounts,
    StaffMembership,
    TillClose,
    VoidStatus,
)
from topup.topups.models import TopupOrder

RECENT_SALES_LIMIT = 50


def shop_sales_recent(
    *, membership: StaffMembership, limit: int = RECENT_SALES_LIMIT
) -> list[CounterSale]:
    """This shop's latest counter sales, newest first (at most RECENT_SALES_LIMIT)."""
    limit = max(1, min(limit, RECENT_SALES_LIMIT))
    return list(
        CounterSale.objects.select_related("order", "order__sim", "agent")
        .filter(shop_id=membership.shop_id)
        .order_by("-sold_at")[:limit]
    )


@dataclass(frozen=True)
class SalesSummary:
    count: int
    total_cents: int


def shop_sales_today(*, membership: StaffMembership) -> SalesSummary:
    """Today's counter sales of this shop (Brussels calendar day), counted in the database."""
    start = timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    totals = CounterSale.objects.filter(shop_id=membership.shop_id, sold_at__gte=start).aggregate(
        n=Count("pk"), total=Sum("amount_cents")
    )
    return SalesSummary(count=totals["n"] or 0, total_cents=totals["total"] or 0)


def shop_sale_get(*, membership: StaffMembership, order_id: uuid.UUID | str) -> CounterSale:
    """One sale of this shop; another shop's sale is refused, an unknown one not found."""
    try:
        order_uuid = uuid.UUID(str(order_id))
    except ValueError as error:
        raise NotFound() from error
    sale = CounterSale.objects.select_related("order", "order__sim").filter(order_id=order_uuid)
    found = sale.first()
    if found is None:
        raise NotFound()
    if found.shop_id != membership.shop_id:
        raise OtherShop()
    return found


def shop_voids_pending(*, membership: StaffMembership) -> list[CounterVoid]:
    """Voids of this shop waiting for a manager, oldest first."""
    return list(
        CounterVoid.objects.select_related("order", "requested_by")
        .filter(shop_id=membership.shop_id, status=VoidStatus.REQUESTED)
        .order_by("requested_at")[:RECENT_SALES_LIMIT]
    )


def shop_balance_cents(*, shop: Shop) -> int:
    """The cash drawer's balance (operator shop) or the float left (partner shop); 0 if none."""
    accounts = ShopAccounts.objects.select_related("cash_drawer", "float_account").filter(shop=shop)
    found = accounts.first()
    if found is None:
        return 0
    account = found.cash_drawer or found.float_account
    return ledger_account_balance_cents(account=account) if account is not None else 0


def shop_till_close_get(*, membership: StaffMembership, till_close_id: int) -> TillClose:
    close = TillClose.objects.select_related("shop", "agent").filter(pk=till_close_id).first()
    if close is None:
        raise NotFound()
    if close.shop_id != membership.shop_id:
        raise OtherShop()
    return close


def shop_z_report(*, till_close: TillClose) -> ZReport:
    """The Z report of a close: sales and voids since the shop's previous close, and the count."""
    previous = (
        TillClose.objects.filter(shop_id=till_close.shop_id, closed_at__lt=till_close.closed_at)
        .order_by("-closed_at")
        .values_list("closed_at", flat=True)
        .first()
    )
    period = Q(shop_id=till_close.shop_id)
    sales = CounterSale.objects.filter(period, sold_at__lte=till_close.closed_at)
    voids = CounterVoid.objects.filter(
        period, status=VoidStatus.EXECUTED, approved_at__lte=till_close.closed_at
    )
    if previous is not None:
        sales = sales.filter(sold_at__gt=previous)
        voids = voids.filter(approved_at__gt=previous)
    by_method = tuple(
        ZReportMethodTotal(
            method=row["payment_method"],
            count=row["n"],
            total_cents=row["total"] or 0,
        )
        for row in sales.values("payment_method")
        .annotate(n=Count("pk"), total=Sum("amount_cents"))
        .order_by("payment_method")
    )
    void_totals = voids.aggregate(n=Count("pk"), total=Sum("order__amount_cents"))
    receipts = sales.exclude(order__receipt_number=None).order_by("sold_at", "pk")
    first = receipts.values_list("order__receipt_number", flat=True).first()
    last = receipts.reverse().values_list("order__receipt_number", flat=True).first()
    return ZReport(
        z_report_number=till_close.z_report_number,
        shop_code=till_close.shop.code,
        shop_name=till_close.shop.name,
        agent=till_close.agent.get_username(),
        closed_at=till_close.closed_at,
        sales_by_method=by_method,
        first_receipt_number=first or "",
        last_receipt_number=last or "",
        voids_count=void_totals["n"] or 0,
        voids_total_cents=void_totals["total"] or 0,
        expected_cents=till_close.expected_cents,
        counted_cents=till_close.counted_cents,
        difference_cents=till_close.difference_cents,
    )


def shop_counter_orders(*, shop: Shop) -> QuerySet[TopupOrder]:
    """The top-up orders sold at this shop's counter (for busy hours and reports)."""
    return TopupOrder.objects.filter(
        pk__in=CounterSale.objects.filter(shop=shop).values("order_id")
    )
