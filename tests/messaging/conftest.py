"""Fixtures for messaging: a controllable clock, gateways that fail, and reading the handset."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from topup.core.worker import worker_drain
from topup.messaging.gateways import sms_gateway_register, sms_gateway_unregister
from topup.messaging.models import OutboxMessage
from topup.messaging.ports import OutgoingSms, SmsSendResult


@dataclass
class FlakyGateway:
    """Refuses the first `failures` messages (or raises), then accepts; remembers every call."""

    failures: int
    raises: bool = False
    name: str = "flaky"
    calls: list[OutgoingSms] = field(default_factory=list)

    def send(self, message: OutgoingSms) -> SmsSendResult:
        self.calls.append(message)
        if len(self.calls) <= self.failures:
            if self.raises:
                raise ConnectionError("provider unreachable")
            return SmsSendResult(accepted=False, error="provider said: throttled")
        return SmsSendResult(accepted=True, gateway_message_id=f"flaky-{len(self.calls)}")


@pytest.fixture
def flaky_gateway(settings: Settings) -> Iterator[Callable[..., FlakyGateway]]:
    def install(*, failures: int, raises: bool = False) -> FlakyGateway:
        gateway = FlakyGateway(failures=failures, raises=raises)
        sms_gateway_register(name="flaky", factory=lambda: gateway)
        settings.TOPUP_SMS_GATEWAY = "flaky"
        return gateway

    yield install
    sms_gateway_unregister(name="flaky")


def make_retries_due() -> int:
    """Time passes for the queue: every task waiting for its backoff becomes ready now."""
    return DBTaskResult.objects.filter(
        status="READY", run_after__gt=timezone.now(), run_after__year__lt=9999
    ).update(run_after=timezone.now() - dt.timedelta(seconds=1))


def code_on_handset(msisdn: str) -> str:
    """Deliver what is queued, then read the code from the newest SMS the number received."""
    worker_drain()
    message = OutboxMessage.objects.filter(msisdn=msisdn).order_by("-received_at", "-id").first()
    assert message is not None, f"no SMS reached {msisdn}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match is not None, "the SMS shows no six-digit code"
    return match.group(1)
