"""Top-up orders: create one (idempotently), follow its status, download its receipt.

Who may read an order: anyone holding its id (a random UUID, the capability the payment page
redirects back with), so the status page works for anonymous payers; they see the number masked.
An authenticated caller sees only orders for its own line or that it paid for: any other id
answers 404 topup_not_found, as if it did not exist.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Header, Router

from topup.catalog.models import ChannelCode
from topup.channels.api.errors import (
    ErrorOut,
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    request_language,
)
from topup.channels.api.presenters import msisdn_masked, topup_out
from topup.channels.api.schemas import TopupCreateIn, TopupOut
from topup.channels.api.security import (
    Caller,
    optional_subscriber_auth,
    request_actor,
    request_caller,
)
from topup.core.money import AmountParseError, parse_amount_cents
from topup.receipts.pdf import receipt_render_pdf
from topup.topups.errors import InvalidAmount, TopupNotFound
from topup.topups.models import TopupOrder
from topup.topups.selectors import topup_order_get
from topup.topups.services import TopupRequest, topup_order_create, topup_receipt_build

_IDEMPOTENCY_KEY: Final = re.compile(r"^[\x21-\x7e]{1,128}$")
ANONYMOUS_SCOPE: Final = "anon"

router = Router(tags=["topups"], auth=optional_subscriber_auth)


@router.post(
    "",
    response={
        201: TopupOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        503: ErrorOut,
    },
    summary="Create a top-up order and get the payment page to send the customer to",
    description=(
        "Requires an `Idempotency-Key` header (1-128 visible ASCII characters; a UUID is ideal). "
        "Sending the same key with the same body again returns the same order, again with 201; "
        "the same key with another body answers 409 idempotency_key_reused. Keys are scoped per "
        "authenticated line; all anonymous callers share one scope, so anonymous clients must "
        "use unguessable keys."
    ),
)
def topup_create(
    request: HttpRequest,
    payload: TopupCreateIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> tuple[int, TopupOut]:
    caller = request_caller(request)
    topup_request = TopupRequest(
        msisdn=payload.msisdn,
        amount_cents=_amount_cents(payload.amount),
        currency=payload.currency,
        payment_method=payload.payment_method,
        channel=ChannelCode.ONLINE,
        idempotency_scope=_idempotency_scope(caller),
        idempotency_key=_idempotency_key(idempotency_key),
        requested_by=caller.sim,
        language=request_language(request),
    )
    order = topup_order_create(request=topup_request, actor=request_actor(request, caller))
    return 201, topup_out(order, show_msisdn=True)


@router.get(
    "/{order_id}",
    response={200: TopupOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="A top-up's status and failure reason",
)
def topup_get(request: HttpRequest, order_id: UUID) -> TopupOut:
    caller = request_caller(request)
    order = _order_for_caller(order_id, caller)
    return topup_out(order, show_msisdn=caller.sim is not None)


@router.get(
    "/{order_id}/receipt.pdf",
    response={200: None, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="The receipt as a PDF, once the credit has arrived",
    openapi_extra={
        "responses": {200: {"description": "The receipt", "content": {"application/pdf": {}}}}
    },
)
def topup_receipt_pdf(request: HttpRequest, order_id: UUID) -> HttpResponse:
    caller = request_caller(request)
    order = _order_for_caller(order_id, caller)
    receipt = topup_receipt_build(order=order)
    if caller.sim is None:
        receipt = dataclasses.replace(receipt, msisdn=msisdn_masked(receipt.msisdn))
    pdf = receipt_render_pdf(receipt=receipt, language=request_language(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _amount_cents(amount: str) -> int:
    try:
        return parse_amount_cents(amount)
    except AmountParseError as error:
        raise InvalidAmount(details={"field": "amount"}) from error


def _idempotency_key(value: str | None) -> str:
    if value is None or not value.strip():
        raise IdempotencyKeyRequired()
    if not _IDEMPOTENCY_KEY.match(value):
        raise IdempotencyKeyInvalid()
    return value


def _idempotency_scope(caller: Caller) -> str:
    return ANONYMOUS_SCOPE if caller.sim is None else f"sim:{caller.sim.pk}"


def _order_for_caller(order_id: UUID, caller: Caller) -> TopupOrder:
    order = topup_order_get(order_id=order_id)
    if caller.sim is None:
        return order
    if caller.sim.pk in (order.sim_id, order.requested_by_id):
        return order
    raise TopupNotFound(details={"id": str(order_id)})
