"""Customer service sends a receipt SMS again: credited orders only, in the line's language."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.topups.conftest import IDENTIFIED, CreateOrder, Pay
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify
from topup.messaging.models import OutboxMessage, SmsMessage
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.subscribers.services import subscriber_preferences_update
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import (
    RECEIPT_RESEND_MAX_PER_ORDER,
    topup_order_reconcile,
    topup_receipt_resend,
)

pytestmark = pytest.mark.django_db

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"


@pytest.fixture
def credited(create_order: CreateOrder, pay: Pay) -> TopupOrder:
    order = create_order(msisdn=IDENTIFIED, amount_cents=1000)
    pay(order, SUCCEEDS)
    order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
    assert order.status == TopupStatus.CREDITED
    return order


def _receipts(msisdn: str = IDENTIFIED) -> list[str]:
    messages = SmsMessage.objects.filter(msisdn=msisdn, purpose="receipt").order_by("id")
    return [message.body for message in messages]


def test_the_same_receipt_goes_out_again_and_no_money_moves(
    credited: TopupOrder, staff: Actor, drain_worker: Callable[..., int]
) -> None:
    balance_before = sim_balance(sim=sim_get_by_msisdn(msisdn=IDENTIFIED))
    transfers_before = Transfer.objects.count()

    topup_receipt_resend(order=credited, actor=staff)

    first, again = _receipts()
    assert again == first
    assert credited.receipt_number is not None and credited.receipt_number in again
    assert sim_balance(sim=sim_get_by_msisdn(msisdn=IDENTIFIED)) == balance_before
    assert Transfer.objects.count() == transfers_before
    assert ledger_verify() == []
    audit = AuditEvent.objects.get(action="receipt.resent")
    assert (audit.actor_type, audit.actor_id) == ("staff", "41")
    assert (audit.object_type, audit.object_id) == ("topup.order", str(credited.pk))
    drain_worker()
    assert OutboxMessage.objects.filter(msisdn=IDENTIFIED).count() == 2


def test_the_receipt_is_sent_in_the_language_the_line_chose_since(
    credited: TopupOrder, staff: Actor
) -> None:
    sim = sim_get_by_msisdn(msisdn=IDENTIFIED)
    subscriber_preferences_update(
        sim=sim, preferred_language="fr", low_balance_alert_cents=200, actor=staff
    )
    topup_receipt_resend(order=credited, actor=staff)
    assert _receipts()[-1].startswith("Vous avez reçu")


def test_an_order_that_was_not_credited_has_no_receipt_to_resend(
    create_order: CreateOrder, pay: Pay, staff: Actor
) -> None:
    order = create_order(msisdn=IDENTIFIED)
    pay(order, DECLINED)
    order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
    assert order.status == TopupStatus.FAILED
    with pytest.raises(ApplicationError) as excinfo:
        topup_receipt_resend(order=order, actor=staff)
    assert (excinfo.value.code, excinfo.value.http_status) == ("receipt_resend_not_allowed", 409)
    assert _receipts() == []
    assert not AuditEvent.objects.filter(action="receipt.resent").exists()


def test_resends_of_one_receipt_are_limited(credited: TopupOrder, staff: Actor) -> None:
    for _ in range(RECEIPT_RESEND_MAX_PER_ORDER):
        topup_receipt_resend(order=credited, actor=staff)
    with pytest.raises(ApplicationError) as excinfo:
        topup_receipt_resend(order=credited, actor=staff)
    assert excinfo.value.code == "receipt_resend_limit_reached"
    assert len(_receipts()) == 1 + RECEIPT_RESEND_MAX_PER_ORDER
