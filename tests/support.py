"""Test helpers shared by several test packages: a stopped clock, reading the SMS handset."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

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


def threads_together(work: Callable[[int], object], *, threads: int) -> list[BaseException]:
    """Run `work(index)` in `threads` threads released at once by a barrier, each on its own
    database connection (closed after); the errors they raised, in no particular order."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=60)
    return errors
