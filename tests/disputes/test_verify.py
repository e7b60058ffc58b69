"""`topup ledger verify` after refunds: clean when the books are right, loud when tampered with
(raw SQL or bare ORM updates that bypass the services)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.disputes.conftest import AGENT, IDENTIFIED_EMPTY, Credited, OpenDispute
from topup.disputes.models import Dispute
from topup.disputes.services import dispute_resolve
from topup.ledger.services import ledger_provider_clearing_account, ledger_transfer
from topup.ledger.verify import ledger_verify
from topup.payments.models import Payment
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder, TopupRefund
from topup.topups.verify import topup_verify

pytestmark = pytest.mark.django_db

REFUND = TopupRefund._meta.db_table
PAYMENT = Payment._meta.db_table


def tamper(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def refunded(credited: Credited, open_dispute: OpenDispute) -> tuple[TopupOrder, Dispute]:
    """A top-up of 15.00 with 5.00 refunded through a dispute: sound books."""
    order = credited(1500)
    dispute = dispute_resolve(
        dispute=open_dispute(order), outcome="refund", amount_cents=500, note="", actor=AGENT
    )
    assert ledger_verify() == []
    assert topup_verify() == []
    call_command("ledger", "verify")
    return order, dispute


def test_a_refund_posting_no_refund_owns_is_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    sim = Sim.objects.select_related("paid_account").get(msisdn=IDENTIFIED_EMPTY)
    stray = ledger_transfer(
        idempotency_key="sneaky",
        debit=sim.paid_account,
        credit=ledger_provider_clearing_account(provider="simulator"),
        amount_cents=100,
        reason_code="refund",
        actor=AGENT,
    )
    assert topup_verify() == [f"transfer {stray.pk} (sneaky): a refund movement no refund owns"]
    with pytest.raises(CommandError):
        call_command("ledger", "verify")


def test_a_refund_whose_amount_differs_from_its_posting_is_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    _, dispute = refunded
    tamper(f"UPDATE {REFUND} SET amount_cents = 600")  # noqa: S608 - test tampering
    assert topup_verify() == [
        f"refund {dispute.refund_key}: its hold does not take its amount from its line to its "
        "provider"
    ]


def test_refunds_above_the_order_amount_are_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    order, _ = refunded
    TopupOrder.objects.filter(pk=order.pk).update(amount_cents=400)
    problems = topup_verify()
    assert f"top-up {order.pk}: refunded 500, more than its 400" in problems


def test_an_order_marked_refunded_without_its_refunds_is_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    order, _ = refunded
    TopupOrder.objects.filter(pk=order.pk).update(status="refunded")
    assert topup_verify() == [f"top-up {order.pk}: refunded, but its refunds sum to 500"]


def test_a_fully_refunded_order_still_credited_is_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    order, _ = refunded
    TopupOrder.objects.filter(pk=order.pk).update(amount_cents=500)
    problems = topup_verify()
    assert f"top-up {order.pk}: refunded in full but still credited" in problems


def test_a_payment_refunded_at_the_provider_without_our_refunds_is_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    order, _ = refunded
    tamper(f"UPDATE {PAYMENT} SET status = 'refunded'")  # noqa: S608
    assert topup_verify() == [
        f"payment simulator:{order.provider_payment_id}: refunded, but refunds of 500 are "
        "recorded for its 1500"
    ]


def test_a_reserved_refund_whose_hold_was_posted_is_reported(
    refunded: tuple[TopupOrder, Dispute],
) -> None:
    _, dispute = refunded
    tamper(f"UPDATE {REFUND} SET status = 'reserved'")  # noqa: S608
    assert topup_verify() == [f"refund {dispute.refund_key}: reserved but its hold is post_pending"]
