"""The kiosk receipt page behind the signed link (QR code on the paper or on the screen)."""

from __future__ import annotations

from django.test import Client

from tests.kiosks.conftest import GOOD_CARD, key
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import (
    kiosk_session_card_insert,
    kiosk_session_pay_card,
    kiosk_session_receipt_print,
    kiosk_session_set_amount,
    kiosk_session_set_target,
    kiosk_session_start,
)


def test_the_receipt_link_shows_the_receipt_with_the_number_masked(
    client: Client, midi: KioskDevice
) -> None:
    session = kiosk_session_start(device=midi, language="en")
    kiosk_session_card_insert(device=midi, session_id=session.pk, card_number=GOOD_CARD)
    kiosk_session_set_target(device=midi, session_id=session.pk, msisdn="+32470000002")
    kiosk_session_set_amount(device=midi, session_id=session.pk, amount_cents=1000)
    order = kiosk_session_pay_card(device=midi, session_id=session.pk, idempotency_key=key())
    outcome = kiosk_session_receipt_print(device=midi, session_id=session.pk, order_id=order.pk)
    page = client.get(outcome.receipt_url.removeprefix("http://localhost"))
    assert page.status_code == 200
    text = page.content.decode()
    assert order.receipt_number
    assert order.receipt_number in text
    assert "+32470000002" not in text
    assert "•• 02" in text
    assert client.get("/kiosks/receipts/forged").status_code == 404
