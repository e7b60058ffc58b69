"""Kiosk sales through the services: card, Bancontact QR, declined card, and the receipt."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from tests.kiosks.conftest import (
    DECLINED_CARD,
    GOOD_CARD,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    INSUFFICIENT_FUNDS_CARD,
    books_balance,
    key,
)
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.kiosks.errors import (
    KioskCardDeclined,
    KioskCardRequired,
    KioskCardUnreadable,
    KioskIdentityRequired,
    KioskOrderNotFound,
    KioskOutOfService,
    KioskSessionNotFound,
)
from topup.kiosks.models import KioskDevice, KioskSession
from topup.kiosks.services import (
    kiosk_device_maintenance_set,
    kiosk_heartbeat,
    kiosk_qr_handoff_confirm,
    kiosk_qr_handoff_create,
    kiosk_receipt_order_from_link,
    kiosk_session_card_insert,
    kiosk_session_end,
    kiosk_session_order_poll,
    kiosk_session_pay_bancontact,
    kiosk_session_pay_card,
    kiosk_session_receipt_print,
    kiosk_session_set_amount,
    kiosk_session_set_target,
)
from topup.ledger.selectors import ledger_account_balance_cents
from topup.payments.simulator.services import simulator_card_submit
from topup.subscribers.models import Sim
from topup.subscribers.selectors import sim_get_by_msisdn
from topup.topups.errors import AmountNotOffered
from topup.topups.models import TopupOrder, TopupStatus


def _paid_cents(msisdn: str) -> int:
    return ledger_account_balance_cents(account=sim_get_by_msisdn(msisdn=msisdn).paid_account)


def _ready(device: KioskDevice, session: KioskSession, *, card: str = GOOD_CARD) -> None:
    kiosk_session_card_insert(device=device, session_id=session.pk, card_number=card)
    target = kiosk_session_set_target(device=device, session_id=session.pk, msisdn="0470 00 00 02")
    assert target.msisdn == IDENTIFIED_EMPTY
    assert "*" in target.masked_name and not target.own_number
    kiosk_session_set_amount(device=device, session_id=session.pk, amount_cents=2000)


def test_card_sale_credits_once_and_the_books_balance(
    midi: KioskDevice, session: KioskSession
) -> None:
    _ready(midi, session)
    session.refresh_from_db()
    assert session.identity == "card" and session.card_masked.endswith("4242")
    assert "4242424242424242" not in str(session.__dict__)
    idempotency_key = key()
    order = kiosk_session_pay_card(
        device=midi, session_id=session.pk, idempotency_key=idempotency_key
    )
    assert order.status == TopupStatus.CREDITED
    assert order.channel == "kiosk"
    assert order.payment_instrument_masked.endswith("4242")
    assert _paid_cents(IDENTIFIED_EMPTY) == 2000
    again = kiosk_session_pay_card(
        device=midi, session_id=session.pk, idempotency_key=idempotency_key
    )
    assert again.pk == order.pk
    assert _paid_cents(IDENTIFIED_EMPTY) == 2000
    books_balance()


def test_declined_card_credits_nothing_and_says_why(
    midi: KioskDevice, session: KioskSession
) -> None:
    _ready(midi, session, card=DECLINED_CARD)
    with pytest.raises(KioskCardDeclined) as caught:
        kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    assert caught.value.details["reason"] == "card_declined"
    assert caught.value.http_status == 402
    assert not TopupOrder.objects.filter(channel="kiosk").exists()
    assert _paid_cents(IDENTIFIED_EMPTY) == 0
    assert AuditEvent.objects.filter(action="kiosks.card_refused").exists()
    # Another card in the same session works.
    kiosk_session_card_insert(device=midi, session_id=session.pk, card_number=GOOD_CARD)
    kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    assert _paid_cents(IDENTIFIED_EMPTY) == 2000
    books_balance()


def test_insufficient_funds(midi: KioskDevice, session: KioskSession) -> None:
    _ready(midi, session, card=INSUFFICIENT_FUNDS_CARD)
    with pytest.raises(KioskCardDeclined) as caught:
        kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    assert caught.value.details["reason"] == "insufficient_funds"
    books_balance()


def test_an_unreadable_card(midi: KioskDevice, session: KioskSession) -> None:
    with pytest.raises(KioskCardUnreadable):
        kiosk_session_card_insert(device=midi, session_id=session.pk, card_number="1234")


def test_no_number_before_an_identity(midi: KioskDevice, session: KioskSession) -> None:
    with pytest.raises(KioskIdentityRequired):
        kiosk_session_set_target(device=midi, session_id=session.pk, msisdn=IDENTIFIED)


def test_only_the_kiosk_denominations(midi: KioskDevice, session: KioskSession) -> None:
    kiosk_session_card_insert(device=midi, session_id=session.pk, card_number=GOOD_CARD)
    kiosk_session_set_target(device=midi, session_id=session.pk, msisdn=IDENTIFIED)
    with pytest.raises(AmountNotOffered):
        kiosk_session_set_amount(device=midi, session_id=session.pk, amount_cents=1234)


def test_qr_identity_pays_by_card_only_after_inserting_one(
    midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    kiosk_qr_handoff_confirm(
        token=handoff.token, sim=customer_sim, actor=Actor(actor_type="subscriber")
    )
    kiosk_session_set_amount(device=midi, session_id=session.pk, amount_cents=1000)
    with pytest.raises(KioskCardRequired):
        kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    kiosk_session_card_insert(device=midi, session_id=session.pk, card_number=GOOD_CARD)
    order = kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    assert order.sim_id == customer_sim.pk
    assert order.requested_by_id == customer_sim.pk
    assert _paid_cents(IDENTIFIED) == 500 + 1000
    books_balance()


def test_bancontact_qr_sale_paid_on_the_phone(
    midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    kiosk_qr_handoff_confirm(
        token=handoff.token, sim=customer_sim, actor=Actor(actor_type="subscriber")
    )
    kiosk_session_set_amount(device=midi, session_id=session.pk, amount_cents=1500)
    order = kiosk_session_pay_bancontact(device=midi, session_id=session.pk, idempotency_key=key())
    assert order.payment_method == "bancontact"
    assert order.status == TopupStatus.AWAITING_PAYMENT
    assert order.payment_redirect_url.startswith("http://localhost/simulator/")
    assert kiosk_session_order_poll(device=midi, session_id=session.pk).status == (
        TopupStatus.AWAITING_PAYMENT
    )
    simulator_card_submit(payment_id=order.provider_payment_id, card_number=GOOD_CARD)
    polled = kiosk_session_order_poll(device=midi, session_id=session.pk)
    assert polled.status == TopupStatus.CREDITED
    assert _paid_cents(IDENTIFIED) == 500 + 1500
    books_balance()


def test_receipt_prints_on_the_dummy_printer(midi: KioskDevice, session: KioskSession) -> None:
    _ready(midi, session)
    order = kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    outcome = kiosk_session_receipt_print(device=midi, session_id=session.pk, order_id=order.pk)
    assert outcome.printed and outcome.reason == ""
    assert outcome.receipt_url.startswith("http://localhost/kiosks/receipts/")
    token = outcome.receipt_url.rsplit("/", 1)[1]
    assert kiosk_receipt_order_from_link(token=token).pk == order.pk


def test_out_of_paper_shows_the_receipt_on_screen(midi: KioskDevice, session: KioskSession) -> None:
    _ready(midi, session)
    order = kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    kiosk_heartbeat(device=midi, printer_status="out_of_paper", software_version="1")
    outcome = kiosk_session_receipt_print(device=midi, session_id=session.pk, order_id=order.pk)
    assert not outcome.printed
    assert outcome.reason == "out_of_paper"
    assert outcome.receipt_url.startswith("http://localhost/kiosks/receipts/")
    books_balance()


def test_an_offline_printer(settings: Settings, midi: KioskDevice, session: KioskSession) -> None:
    settings.TOPUP_KIOSK_PRINTERS = {"kiosk-bru-midi": "file:///nonexistent-dir/printer"}
    _ready(midi, session)
    order = kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    outcome = kiosk_session_receipt_print(device=midi, session_id=session.pk, order_id=order.pk)
    assert (outcome.printed, outcome.reason) == (False, "offline")


def test_a_receipt_of_another_session_is_refused(
    midi: KioskDevice, session: KioskSession, liege: KioskDevice
) -> None:
    _ready(midi, session)
    order = kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    with pytest.raises(KioskSessionNotFound):
        kiosk_session_receipt_print(device=liege, session_id=session.pk, order_id=order.pk)
    from topup.kiosks.services import kiosk_session_start

    other = kiosk_session_start(device=midi, language="en")
    with pytest.raises(KioskOrderNotFound):
        kiosk_session_receipt_print(device=midi, session_id=other.pk, order_id=order.pk)


def test_session_end_wipes_the_card(midi: KioskDevice, session: KioskSession) -> None:
    _ready(midi, session)
    kiosk_session_end(device=midi, session_id=session.pk)
    session.refresh_from_db()
    assert (session.card_token, session.card_masked, session.card_fingerprint) == ("", "", "")
    assert session.target_msisdn == "" and session.amount_cents is None


def test_a_kiosk_in_maintenance_takes_no_payment(midi: KioskDevice, session: KioskSession) -> None:
    _ready(midi, session)
    kiosk_device_maintenance_set(device=midi, on=True, actor=Actor(actor_type="staff"))
    with pytest.raises(KioskOutOfService):
        kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    assert _paid_cents(IDENTIFIED_EMPTY) == 0
