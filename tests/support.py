"""Test helpers shared by several test packages: a stopped clock, reading the SMS handset."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from topup.core.worker import worker_drain
from topup.messaging.selectors import sms_outbox_list


@dataclass
class FakeClock:
    """The platform's clock (topup.core.clock), stopped; tests move it forward."""

    moment: dt.datetime

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, *, seconds: float) -> None:
        self.moment += dt.timedelta(seconds=seconds)


def sms_code_on_handset(msisdn: str) -> str:
    """Deliver the queued SMS, then read the newest code the way the customer does."""
    worker_drain()
    messages = sms_outbox_list(msisdn=msisdn, last_only=True)
    assert messages, f"no SMS reached {msisdn}"
    match = re.search(r"\b(\d{6})\b", messages[0].body)
    assert match is not None, "the SMS shows no six-digit code"
    return match.group(1)
