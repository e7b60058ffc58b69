"""Fault-injecting entry points: the production WSGI application and `topup worker`, with the
payment provider and the SMS gateway behind switches the test flips while they run.

    gunicorn tests.faults.entry:application ...      the web server
    python -m tests.faults.entry worker ...          the task worker (any `topup` command)

The switches are files in TOPUP_FAULTS_DIR, read on every call (the test writes them; the
processes never restart for it):
  provider-trouble.json  {"create": T, "get": T, "refund": T} with T one of
                         "error"   the provider answers 500 and does nothing,
                         "timeout" it does nothing and answers nothing for TIMEOUT_S,
                         "lost"    it does the work, but its answer never arrives
  sms-down               present: the SMS gateway refuses every message (connection refused)
"""

from __future__ import annotations

import os
import sys
import time

from tests.faults.switches import SMS_DOWN_FILE, SMS_GATEWAY_NAME, TIMEOUT_S, faults_dir, trouble_of


def _install() -> None:
    """Register the troubled provider under the simulator's name, and the flaky SMS gateway."""
    from topup.messaging.gateways import sms_gateway_register
    from topup.messaging.outbox import OutboxGateway
    from topup.messaging.ports import OutgoingSms, SmsSendResult
    from topup.payments.gateway import (
        GatewayUnavailable,
        PaymentRefund,
        PaymentRequest,
        PaymentSession,
        PaymentState,
    )
    from topup.payments.services import payment_gateway_register
    from topup.payments.simulator.gateway import SimulatorGateway

    def before(operation: str) -> str:
        trouble = trouble_of(operation)
        if trouble == "error":
            raise GatewayUnavailable(f"{operation}: HTTP 500 from the provider")
        if trouble == "timeout":
            time.sleep(TIMEOUT_S)
            raise GatewayUnavailable(f"{operation}: timed out after {TIMEOUT_S:g}s")
        return trouble

    def after(operation: str, trouble: str) -> None:
        if trouble == "lost":
            raise GatewayUnavailable(f"{operation}: timed out (the provider did it)")

    class TroubledSimulatorGateway(SimulatorGateway):
        def create_payment(self, request: PaymentRequest) -> PaymentSession:
            trouble = before("create")
            session = super().create_payment(request)
            after("create", trouble)
            return session

        def get_payment(self, provider_payment_id: str) -> PaymentState:
            trouble = before("get")
            state = super().get_payment(provider_payment_id)
            after("get", trouble)
            return state

        def refund_payment(
            self, *, provider_payment_id: str, amount_cents: int, idempotency_key: str
        ) -> PaymentRefund:
            trouble = before("refund")
            refund = super().refund_payment(
                provider_payment_id=provider_payment_id,
                amount_cents=amount_cents,
                idempotency_key=idempotency_key,
            )
            after("refund", trouble)
            return refund

    class FlakyOutboxGateway(OutboxGateway):
        name = SMS_GATEWAY_NAME

        def send(self, message: OutgoingSms) -> SmsSendResult:
            if (faults_dir() / SMS_DOWN_FILE).exists():
                raise ConnectionRefusedError("the SMS gateway refused the connection")
            return super().send(message)

    payment_gateway_register(provider="simulator", factory=TroubledSimulatorGateway)
    sms_gateway_register(name=SMS_GATEWAY_NAME, factory=FlakyOutboxGateway)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "topup.config.settings")

if __name__ == "__main__":
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    _install()
    execute_from_command_line(["topup", *sys.argv[1:]])
else:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    _install()
