"""Payment providers' webhooks: verify, record, and hand the notice to the top-up worker."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from topup.channels.api.errors import ErrorOut, WebhookRejectedError
from topup.channels.api.schemas import WebhookReceivedOut
from topup.payments.gateway import WebhookRejected
from topup.payments.services import payment_webhook_receive
from topup.payments.simulator.signature import MAX_HEADER_LENGTH, SIGNATURE_HEADER
from topup.topups.services import topup_payment_notice_accept

router = Router(tags=["payments"])

# The body is read raw (the signature covers its exact bytes), so ninja cannot infer its schema;
# documenting it and the signature header lets integrators and the API fuzzer send real notices.
_WEBHOOK_OPENAPI = {
    "parameters": [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "description": '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + the raw body>`.',
            "schema": {"type": "string", "maxLength": MAX_HEADER_LENGTH},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["id", "type", "data"],
                    "properties": {
                        "id": {"type": "string", "examples": ["sim_evt_1"]},
                        "type": {"type": "string", "examples": ["payment.updated"]},
                        "data": {
                            "type": "object",
                            "required": ["payment_id"],
                            "properties": {"payment_id": {"type": "string"}},
                        },
                    },
                }
            }
        },
    },
}


@router.post(
    "/webhooks/simulator",
    response={200: WebhookReceivedOut, 400: ErrorOut},
    summary="Webhook of the built-in payment simulator (HMAC-SHA256 signed)",
    description=(
        "No authentication: the `Topup-Signature` header is the proof. A duplicate delivery "
        "answers 200 as well, so the provider stops retrying; a forged or stale one answers 400."
    ),
    openapi_extra=_WEBHOOK_OPENAPI,
)
def payments_webhook_simulator(request: HttpRequest) -> WebhookReceivedOut:
    # One transaction: an event is stored as received only together with its queued processing,
    # so a crash between the two cannot turn the provider's retry into an ignored duplicate.
    with transaction.atomic():
        try:
            notice = payment_webhook_receive(
                provider="simulator", body=request.body, headers=dict(request.headers)
            )
        except WebhookRejected as rejected:
            raise WebhookRejectedError(details={"reason": rejected.reason}) from rejected
        if notice is not None:
            topup_payment_notice_accept(notice=notice)
    return WebhookReceivedOut(received=True)
