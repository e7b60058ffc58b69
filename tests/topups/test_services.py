"""Top-up orders at the service layer: limits, idempotency, the provider's word, credit once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.topups.conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    CreateOrder,
    Pay,
)
from topup.audit.services import Actor
from topup.catalog.models import Limit
from topup.catalog.selectors import catalog_cache_clear
from topup.core.errors import ApplicationError
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify
from topup.messaging.models import SmsMessage
from topup.payments.gateway import PaymentStatus
from topup.payments.models import SimulatorPayment
from topup.payments.services import payment_state_fetch
from topup.payments.simulator.services import simulator_settings_update
from topup.subscribers.models import HoldReason, Sim, SimStatus
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.subscribers.services import line_hold_open, sim_status_change
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import (
    topup_order_apply_payment_state,
    topup_order_reconcile,
    topup_orders_sweep,
)
from topup.topups.verify import topup_verify

pytestmark = pytest.mark.django_db

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT = "4000000000009995"
PROCESSING = "4000000000000119"


def _paid_cents(msisdn: str) -> int:
    return sim_balance(sim=sim_get_by_msisdn(msisdn=msisdn)).paid_cents


def _error_code(excinfo: pytest.ExceptionInfo[ApplicationError]) -> str:
    return excinfo.value.code


def test_an_order_waits_for_payment_with_a_page_to_pay_on(create_order: CreateOrder) -> None:
    order = create_order()
    assert order.status == TopupStatus.AWAITING_PAYMENT
    assert order.payment_redirect_url.startswith("http://localhost/simulator/pay/")
    assert [t.to_status for t in order.transitions.all()] == ["created", "awaiting_payment"]


def test_the_same_key_returns_the_same_order_and_another_body_is_refused(
    create_order: CreateOrder,
) -> None:
    first = create_order(key="k-1")
    again = create_order(key="k-1")
    assert again.pk == first.pk
    assert TopupOrder.objects.count() == 1
    with pytest.raises(ApplicationError) as excinfo:
        create_order(key="k-1", amount_cents=2000)
    assert _error_code(excinfo) == "idempotency_key_reused"
    assert TopupOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("card", "status", "reason", "credited_cents"),
    [
        (SUCCEEDS, TopupStatus.CREDITED, "", 1000),
        (DECLINED, TopupStatus.FAILED, "card_declined", 0),
        (INSUFFICIENT, TopupStatus.FAILED, "insufficient_funds", 0),
        (PROCESSING, TopupStatus.AWAITING_PAYMENT, "", 0),
    ],
)
def test_each_test_card_ends_in_its_state(
    create_order: CreateOrder,
    pay: Pay,
    card: str,
    status: str,
    reason: str,
    credited_cents: int,
) -> None:
    before = _paid_cents(IDENTIFIED)
    order = create_order()
    pay(order, card)
    order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
    assert (order.status, order.failure_reason) == (status, reason)
    assert _paid_cents(IDENTIFIED) == before + credited_cents
    assert ledger_verify() == []
    assert topup_verify() == []


def test_credit_arrives_once_however_often_the_capture_is_reported(
    create_order: CreateOrder, pay: Pay
) -> None:
    order = create_order(msisdn=IDENTIFIED_EMPTY, amount_cents=1500)
    pay(order, SUCCEEDS)
    captured = payment_state_fetch(
        provider="simulator", provider_payment_id=order.provider_payment_id
    )
    assert captured.status == PaymentStatus.CAPTURED
    for _ in range(3):
        topup_order_apply_payment_state(order_id=order.pk, payment=captured, actor=Actor.system())
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED
    assert order.receipt_number
    assert _paid_cents(IDENTIFIED_EMPTY) == 1500
    assert Transfer.objects.filter(reason_code="topup").count() == 1
    receipts = SmsMessage.objects.filter(msisdn=IDENTIFIED_EMPTY, purpose="receipt")
    assert receipts.count() == 1
    assert order.receipt_number in receipts.get().body


def test_a_stale_pending_notice_after_credit_changes_nothing(
    create_order: CreateOrder, pay: Pay
) -> None:
    order = create_order()
    pay(order, SUCCEEDS)
    topup_order_reconcile(order=order, actor=Actor.system())
    captured = payment_state_fetch(
        provider="simulator", provider_payment_id=order.provider_payment_id
    )
    stale = captured.__class__(**{**captured.__dict__, "status": PaymentStatus.PENDING})
    topup_order_apply_payment_state(order_id=order.pk, payment=stale, actor=Actor.system())
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED


def test_a_state_for_another_amount_is_not_credited(create_order: CreateOrder, pay: Pay) -> None:
    order = create_order()
    pay(order, SUCCEEDS)
    captured = payment_state_fetch(
        provider="simulator", provider_payment_id=order.provider_payment_id
    )
    forged = captured.__class__(**{**captured.__dict__, "amount_cents": 99_999})
    topup_order_apply_payment_state(order_id=order.pk, payment=forged, actor=Actor.system())
    order.refresh_from_db()
    assert order.status == TopupStatus.AWAITING_PAYMENT


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"msisdn": "0470 12"}, "invalid_msisdn"),
        ({"msisdn": "+32479999999"}, "subscriber_not_found"),
        ({"msisdn": AWAITING_IDENTIFICATION}, "subscriber_not_identified"),
        ({"amount_cents": 499}, "amount_below_minimum"),
        ({"amount_cents": 15001}, "amount_above_limit"),
        ({"payment_method": "cash"}, "payment_method_unavailable"),
        ({"payment_method": "sepa_direct_debit"}, "payment_method_unavailable"),
        ({"currency": "USD"}, "unsupported_currency"),
        ({"channel": "kiosk", "amount_cents": 1234}, "amount_not_offered"),
    ],
)
def test_refusals_have_a_code_and_write_nothing(
    create_order: CreateOrder, kwargs: dict[str, object], code: str
) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        create_order(**kwargs)
    assert _error_code(excinfo) == code
    assert TopupOrder.objects.count() == 0


def test_suspended_and_held_lines_are_refused(create_order: CreateOrder) -> None:
    sim = Sim.objects.get(msisdn=IDENTIFIED)
    line_hold_open(
        sim=sim, reason=HoldReason.SIM_SWAP, details={"imsi_changed": True}, actor=Actor.system()
    )
    with pytest.raises(ApplicationError) as excinfo:
        create_order()
    assert _error_code(excinfo) == "line_held_for_reverification"
    other = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)
    sim_status_change(sim=other, status=SimStatus.SUSPENDED, reason="fraud", actor=Actor.system())
    with pytest.raises(ApplicationError) as excinfo:
        create_order(msisdn=IDENTIFIED_EMPTY)
    assert _error_code(excinfo) == "subscriber_suspended"


def test_daily_limit_counts_earlier_orders_of_the_day(create_order: CreateOrder) -> None:
    for _ in range(2):
        create_order(amount_cents=10_000)  # the demo's daily limit per line is € 250
    with pytest.raises(ApplicationError) as excinfo:
        create_order(amount_cents=10_000)
    assert _error_code(excinfo) == "daily_limit_reached"
    assert excinfo.value.details["remaining"] == "50.00"


def test_monthly_limit(create_order: CreateOrder) -> None:
    Limit.objects.filter(period="day").delete()
    Limit.objects.filter(period="month").update(max_amount_cents=2000)
    catalog_cache_clear()  # update() sends no signal: the per-process catalog cache is told
    create_order(amount_cents=1500)
    with pytest.raises(ApplicationError) as excinfo:
        create_order(amount_cents=1000)
    assert _error_code(excinfo) == "monthly_limit_reached"


def test_an_unreachable_provider_fails_the_order_with_a_reason(create_order: CreateOrder) -> None:
    simulator_settings_update(outage=True)
    order = create_order()
    assert (order.status, order.failure_reason) == (TopupStatus.FAILED, "provider_unreachable")


def test_the_sweep_reconciles_a_silent_payment_and_expires_an_abandoned_order(
    create_order: CreateOrder, pay: Pay
) -> None:
    paid = create_order()
    pay(paid, SUCCEEDS)
    abandoned = create_order(amount_cents=500)
    long_ago = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=2)
    TopupOrder.objects.update(updated_at=long_ago)
    TopupOrder.objects.filter(pk=abandoned.pk).update(expires_at=long_ago)
    report = topup_orders_sweep()
    assert (report.reconciled, report.expired) == (2, 1)
    paid.refresh_from_db()
    abandoned.refresh_from_db()
    assert paid.status == TopupStatus.CREDITED
    assert (abandoned.status, abandoned.failure_reason) == (TopupStatus.EXPIRED, "expired")


def test_a_capture_after_expiry_is_still_credited(create_order: CreateOrder, pay: Pay) -> None:
    order = create_order(msisdn=IDENTIFIED_EMPTY)
    long_ago = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=2)
    TopupOrder.objects.filter(pk=order.pk).update(updated_at=long_ago, expires_at=long_ago)
    topup_orders_sweep()
    order.refresh_from_db()
    assert order.status == TopupStatus.EXPIRED
    pay(order, SUCCEEDS)
    order = topup_order_reconcile(order=order, actor=Actor.system())
    assert order.status == TopupStatus.CREDITED
    assert _paid_cents(IDENTIFIED_EMPTY) == 1000
    assert topup_verify() == []


def test_ledger_verify_command_passes_then_names_a_tampered_credit(
    create_order: CreateOrder, pay: Pay, capsys: pytest.CaptureFixture[str]
) -> None:
    order = create_order()
    pay(order, SUCCEEDS)
    topup_order_reconcile(order=order, actor=Actor.system())
    call_command("ledger", "verify")
    assert "OK" in capsys.readouterr().out
    TopupOrder.objects.filter(pk=order.pk).update(amount_cents=2000)
    with pytest.raises(CommandError):
        call_command("ledger", "verify")
    assert f"top-up {order.pk}" in capsys.readouterr().err


def test_the_payment_provider_sees_the_number_masked(create_order: CreateOrder) -> None:
    order = create_order()
    payment = SimulatorPayment.objects.get(id=order.provider_payment_id)
    assert payment.description == "Top-up 0470 •• •• 01"
    assert "470000001" not in payment.description
