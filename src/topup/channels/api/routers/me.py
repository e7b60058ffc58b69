"""The logged-in line: balance, validity and top-up history."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from topup.channels.api.errors import ErrorOut
from topup.channels.api.presenters import topup_out
from topup.channels.api.schemas import MeOut, MoneyOut, TopupPageOut
from topup.channels.api.security import request_sim, subscriber_auth
from topup.subscribers.selectors import sim_balance
from topup.topups.selectors import topup_orders_for_sim

MAX_PAGE_SIZE = 100
MAX_OFFSET = 10_000  # history deeper than this is for the export, not for paging

router = Router(tags=["me"], auth=subscriber_auth)


class PageIn(Schema):
    limit: int = Field(default=20, ge=1, description="Capped at 100.")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


@router.get("", response={200: MeOut, 401: ErrorOut}, summary="My line and balance")
def me_get(request: HttpRequest) -> MeOut:
    sim = request_sim(request)
    balance = sim_balance(sim=sim)
    return MeOut(
        msisdn=sim.msisdn,
        status=sim.status,
        balance=MoneyOut.of(balance.paid_cents),
        promotional_balance=MoneyOut.of(balance.promo_cents),
        validity_until=balance.validity_until,
    )


@router.get(
    "/topups",
    response={200: TopupPageOut, 401: ErrorOut, 422: ErrorOut},
    summary="My top-ups, newest first: to my line or paid by me",
)
def me_topups_list(request: HttpRequest, page: Query[PageIn]) -> TopupPageOut:
    sim = request_sim(request)
    limit = min(page.limit, MAX_PAGE_SIZE)
    orders = topup_orders_for_sim(sim=sim, limit=limit, offset=page.offset)
    return TopupPageOut(
        items=[topup_out(order, show_msisdn=True) for order in orders],
        limit=limit,
        offset=page.offset,
    )
