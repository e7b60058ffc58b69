"""A test URL map: the simulator's pages, the admin, and a merchant that receives webhooks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csrf import csrf_exempt

from topup.payments.gateway import WebhookNotice, WebhookRejected
from topup.payments.services import payment_webhook_receive


@dataclass
class Received:
    event_id: str
    status: str
    notice: WebhookNotice | None  # None when the platform saw a duplicate


@dataclass
class ReceiverState:
    """What the merchant endpoint saw; `fail_next` makes it answer 500 that many times."""

    url: str = ""
    fail_next: int = 0
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    answered_500: int = 0

    def reset(self) -> None:
        self.fail_next = 0
        self.received.clear()
        self.rejected.clear()
        self.answered_500 = 0

    def statuses(self) -> list[str]:
        return [item.status for item in self.received]


RECEIVER = ReceiverState()


@csrf_exempt
def webhook_receiver(request: HttpRequest) -> HttpResponse:
    if RECEIVER.fail_next > 0:
        RECEIVER.fail_next -= 1
        RECEIVER.answered_500 += 1
        return HttpResponse("try later", status=500)
    try:
        notice = payment_webhook_receive(
            provider="simulator", body=request.body, headers=request.headers
        )
    except WebhookRejected as error:
        RECEIVER.rejected.append(error.reason)
        return JsonResponse({"error": error.reason}, status=400)
    event = json.loads(request.body)
    RECEIVER.received.append(
        Received(event_id=event["id"], status=event["data"]["status"], notice=notice)
    )
    return JsonResponse({"duplicate": notice is None})


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("simulator/", include("topup.payments.simulator.urls")),
    path("merchant/webhooks/simulator", webhook_receiver),
]
