"""Payment providers' webhooks: verify, record, and hand the notice to the top-up worker."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from topup.channels.api.errors import ErrorOut, WebhookRejectedError
from topup.channels.api.schemas import WebhookReceivedOut
from topup.payments.gateway import WebhookRejected
from topup.payments.services import payment_webhook_receive
from topup.topups.services import topup_payment_notice_accept

router = Router(tags=["payments"])


@router.post(
    "/webhooks/simulator",
    response={200: WebhookReceivedOut, 400: ErrorOut},
    summary="Webhook of the built-in payment simulator (HMAC-SHA256 signed)",
    description=(
        "No authentication: the `Topup-Signature` header is the proof. A duplicate delivery "
        "answers 200 as well, so the provider stops retrying; a forged or stale one answers 400."
    ),
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
