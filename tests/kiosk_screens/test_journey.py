"""The kiosk journey by POSTs, as the screens send them: card or phone, number, amount, pay,
receipt, and the wipe. Every answer is `no-store`, and no phone number ever appears in a URL.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from tests.conftest import FakeClock
from tests.kiosk_screens.conftest import (
    DECLINED,
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    INSUFFICIENT,
    PUBLIC_URL,
    SUCCEEDS,
    KioskBrowser,
    assert_books_balance,
    choose_number_and_amount,
    hidden_value,
    insert_card,
    start,
    text_of,
)
from topup.audit.services import Actor
from topup.kiosks.models import KioskSession, KioskStatus
from topup.kiosks.services import kiosk_qr_handoff_confirm, kiosk_sweep_stale
from topup.subscribers.models import Sim
from topup.subscribers.selectors import sim_balance
from topup.topups.models import TopupOrder, TopupStatus

NUMBER_SHAPES = re.compile(r"(\+32|0032|%2B32)?0?4[5-9]\d{7}")


def assert_no_number_in_any_url(kiosk: KioskBrowser) -> None:
    for url in kiosk.visited:
        digits = re.sub(r"[\s.%20-]", "", url)
        assert not NUMBER_SHAPES.search(digits), url


def assert_no_store_everywhere(kiosk: KioskBrowser) -> None:
    for response in kiosk.responses:
        assert "no-store" in response.headers.get("Cache-Control", ""), response


def pay_by_card(kiosk: KioskBrowser) -> None:
    summary = kiosk.get("/kiosk/summary")
    key = hidden_value(summary, "idempotency_key")
    kiosk.step("/kiosk/pay/card", {"idempotency_key": key}, to="/kiosk/receipt")


def test_a_card_journey_ends_credited_with_the_books_balanced(kiosk: KioskBrowser) -> None:
    attract = kiosk.get("/kiosk/")
    assert "Touch to start" in text_of(attract)
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    typed = kiosk.post("/kiosk/number", {"msisdn": "0470 00 00 02"})
    assert typed.status_code == 303
    confirm = kiosk.get("/kiosk/number/confirm")
    assert "0470 00 00 02" in text_of(confirm)
    assert "L* W**" in text_of(confirm), "the name on record, masked"
    kiosk.step("/kiosk/number/confirm", to="/kiosk/amount")
    summary = kiosk.step("/kiosk/amount", {"amount_cents": "1000"}, to="/kiosk/summary")
    assert "€10.00" in text_of(summary)
    assert "4242" in text_of(summary), "the inserted card, masked"
    assert SUCCEEDS not in summary.content.decode()

    pay_by_card(kiosk)
    order = TopupOrder.objects.get(channel="kiosk")
    assert order.status == TopupStatus.CREDITED
    assert order.amount_cents == 1000
    assert sim_balance(sim=Sim.objects.get(msisdn=IDENTIFIED_EMPTY)).paid_cents == 1000
    receipt = kiosk.get("/kiosk/receipt")
    assert "The credit has arrived" in text_of(receipt)
    assert "0470 •• •• 02" in text_of(receipt)

    printed = kiosk.post("/kiosk/receipt")
    assert printed.status_code == 303
    assert printed.headers["Location"] == "/kiosk/done"
    done = kiosk.get("/kiosk/done")
    assert "Take your card and receipt" in text_of(done)
    assert 'http-equiv="refresh"' in done.content.decode()
    assert KioskSession.objects.get().ended_at is not None
    assert KioskSession.objects.get().target_msisdn == ""
    assert kiosk.get("/kiosk/summary").headers["Location"] == "/kiosk/", "wiped"

    assert_books_balance()
    assert_no_number_in_any_url(kiosk)
    assert_no_store_everywhere(kiosk)


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        (DECLINED, "Your card was declined by the bank"),
        (INSUFFICIENT, "not enough money on the account or card"),
    ],
)
def test_a_refused_card_shows_the_reason_and_charges_nothing(
    kiosk: KioskBrowser, card: str, reason: str
) -> None:
    start(kiosk)
    insert_card(kiosk, card)
    summary = choose_number_and_amount(kiosk, IDENTIFIED_EMPTY, 1000)
    key = hidden_value(summary, "idempotency_key")
    refused = kiosk.post("/kiosk/pay/card", {"idempotency_key": key})
    assert refused.status_code == 402
    shown = text_of(refused)
    assert reason in shown
    assert "You were not charged" in shown
    assert hidden_value(refused, "idempotency_key") != key, "a new attempt gets a new key"
    assert not TopupOrder.objects.filter(channel="kiosk").exists()
    assert sim_balance(sim=Sim.objects.get(msisdn=IDENTIFIED_EMPTY)).paid_cents == 0
    assert_books_balance()


def test_a_card_payment_sent_twice_charges_and_credits_once(kiosk: KioskBrowser) -> None:
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    summary = choose_number_and_amount(kiosk, IDENTIFIED_EMPTY, 1000)
    key = hidden_value(summary, "idempotency_key")
    assert kiosk.post("/kiosk/pay/card", {"idempotency_key": key}).status_code == 303
    assert kiosk.post("/kiosk/pay/card", {"idempotency_key": key}).status_code == 303
    assert TopupOrder.objects.filter(channel="kiosk").count() == 1
    assert sim_balance(sim=Sim.objects.get(msisdn=IDENTIFIED_EMPTY)).paid_cents == 1000
    assert_books_balance()


def test_out_of_paper_shows_the_receipt_on_screen_with_a_qr_code(kiosk: KioskBrowser) -> None:
    assert kiosk.post("/kiosk/heartbeat", {"printer_status": "out_of_paper"}).status_code == 200
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    choose_number_and_amount(kiosk, IDENTIFIED_EMPTY, 1500)
    pay_by_card(kiosk)
    printed = kiosk.post("/kiosk/receipt")
    assert printed.status_code == 303
    assert printed.headers["Location"] == "/kiosk/receipt/screen"
    screen = kiosk.get("/kiosk/receipt/screen")
    order = TopupOrder.objects.get(channel="kiosk")
    shown = text_of(screen)
    assert "The printer is out of paper" in shown
    assert order.receipt_number and order.receipt_number in shown
    assert "€15.00" in shown
    assert "0470 •• •• 02" in shown, "the number masked, even on the receipt on screen"
    assert re.search(
        r'<img src="data:image/svg\+xml[^"]+"[^>]*data-receipt-qr', screen.content.decode()
    )
    finished = kiosk.post("/kiosk/end", {"next": "done"})
    assert finished.headers["Location"] == "/kiosk/done"
    assert kiosk.get("/kiosk/receipt/screen").headers["Location"] == "/kiosk/"
    assert_books_balance()
    assert_no_store_everywhere(kiosk)


def test_end_wipes_the_session_and_the_next_screen_shows_no_number(kiosk: KioskBrowser) -> None:
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    choose_number_and_amount(kiosk, IDENTIFIED_WITH_FIVE_EUROS, 1000)
    ended = kiosk.post("/kiosk/end")
    assert ended.status_code == 303
    assert ended.headers["Location"] == "/kiosk/"
    attract = kiosk.get("/kiosk/")
    assert attract.status_code == 200
    assert "Touch to start" in text_of(attract)
    assert "0470" not in text_of(attract)
    for path in ("/kiosk/summary", "/kiosk/number/confirm", "/kiosk/amount"):
        assert kiosk.get(path).headers["Location"] == "/kiosk/", path
    session = KioskSession.objects.get()
    assert session.ended_at is not None
    assert (session.target_msisdn, session.card_masked, session.amount_cents) == ("", "", None)
    remembered = kiosk.client.session.keys()
    assert not any(key.startswith("kiosk_") for key in remembered)
    assert_no_store_everywhere(kiosk)


def test_the_number_is_checked_by_the_server(kiosk: KioskBrowser) -> None:
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    page = kiosk.get("/kiosk/number")
    html = page.content.decode()
    assert 'data-keypad="msisdn"' in html
    assert "Complete Belgian mobile number" in html, "the hint kiosk.js shows as typed"
    for typed, message in [
        ("0470 12", "mobile number"),
        ("", "Type the mobile number"),
        ("0470 00 00 03", "identif"),
    ]:
        refused = kiosk.post("/kiosk/number", {"msisdn": typed})
        assert refused.status_code in (404, 409, 422), (typed, refused.status_code)
        assert message in text_of(refused), (typed, text_of(refused))
    assert kiosk.get("/kiosk/amount").headers["Location"] == "/kiosk/number"


def test_a_number_comes_only_after_an_identity(kiosk: KioskBrowser) -> None:
    start(kiosk)
    assert kiosk.get("/kiosk/number").headers["Location"] == "/kiosk/identify"


def test_the_language_choice_sets_the_language_of_the_session(kiosk: KioskBrowser) -> None:
    identify = start(kiosk, language="fr")
    assert '<html lang="fr">' in identify.content.decode()
    assert KioskSession.objects.get().language == "fr"
    chinese = start(kiosk, language="zh-hans")
    assert '<html lang="zh-hans">' in chinese.content.decode()
    sessions = KioskSession.objects.order_by("started_at")
    assert sessions[0].ended_at is not None, "a new customer ends the session before"


def test_scan_with_the_phone_then_top_up_the_own_number_by_bancontact(
    kiosk: KioskBrowser,
) -> None:
    start(kiosk)
    kiosk.step("/kiosk/identify/phone", to="/kiosk/identify/phone")
    waiting = kiosk.get("/kiosk/identify/phone")
    html = waiting.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml', html)
    assert 'hx-trigger="every 2s"' in html
    assert re.search(r'data-seconds-left="1[12]\d"', html), "about 2 minutes left"
    poll = kiosk.get("/kiosk/identify/phone/status", **{"HX-Request": "true"})
    assert poll.status_code == 204

    # The phone: the customer logged in on the website scans the code and confirms.
    handoff_url = kiosk.client.session["kiosk_handoff_url"]
    token = handoff_url.rsplit("/", 1)[1]
    owner = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    kiosk_qr_handoff_confirm(token=token, sim=owner, actor=Actor.system("phone"))

    poll = kiosk.get("/kiosk/identify/phone/status", **{"HX-Request": "true"})
    assert poll.headers["HX-Redirect"] == "/kiosk/number"
    number = kiosk.get("/kiosk/number")
    assert "My own number" in text_of(number)
    kiosk.step("/kiosk/number", {"own": "on"}, to="/kiosk/number/confirm")
    kiosk.step("/kiosk/number/confirm", to="/kiosk/amount")
    summary = kiosk.step("/kiosk/amount", {"amount_cents": "2000"}, to="/kiosk/summary")
    assert 'action="/kiosk/pay/card"' not in summary.content.decode(), "no card inserted"

    key = hidden_value(summary, "idempotency_key")
    qr = kiosk.step("/kiosk/pay/bancontact", {"idempotency_key": key}, to="/kiosk/pay/bancontact")
    assert re.search(r'<img src="data:image/svg\+xml', qr.content.decode())
    assert kiosk.get("/kiosk/pay/status", **{"HX-Request": "true"}).status_code == 204

    order = TopupOrder.objects.get(channel="kiosk")
    assert order.payment_method == "bancontact"
    phone = Client()  # the customer's phone opens the QR code's address and approves
    paid = phone.post(order.payment_redirect_url.removeprefix(PUBLIC_URL), {"action": "approve"})
    assert paid.status_code == 303, text_of(paid)
    status = kiosk.get("/kiosk/pay/status", **{"HX-Request": "true"})
    assert status.headers["HX-Redirect"] == "/kiosk/pay/bancontact"
    assert kiosk.get("/kiosk/pay/bancontact").headers["Location"] == "/kiosk/receipt"
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED
    assert sim_balance(sim=owner).paid_cents == 500 + 2000
    assert_books_balance()
    assert_no_number_in_any_url(kiosk)


def test_an_expired_qr_code_offers_a_new_one(kiosk: KioskBrowser, clock: FakeClock) -> None:
    start(kiosk)
    kiosk.step("/kiosk/identify/phone", to="/kiosk/identify/phone")
    clock.advance(seconds=121)
    expired = kiosk.get("/kiosk/identify/phone")
    assert "This code has expired" in text_of(expired)
    assert "<img" not in expired.content.decode()
    fresh = kiosk.step("/kiosk/identify/phone", to="/kiosk/identify/phone")
    assert re.search(r'<img src="data:image/svg\+xml', fresh.content.decode())


def test_a_kiosk_out_of_service_refuses_payments(kiosk: KioskBrowser, clock: FakeClock) -> None:
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    summary = choose_number_and_amount(kiosk, IDENTIFIED_EMPTY, 1000)
    assert 'data-out-of-service="false"' in summary.content.decode()
    assert re.search(r'<div id="out-of-service"[^>]* hidden>', summary.content.decode())
    clock.advance(seconds=200)  # no heartbeat for over 3 minutes: the sweep takes it out
    assert kiosk_sweep_stale() == 2  # both demo kiosks
    kiosk.device.refresh_from_db()
    assert kiosk.device.status == KioskStatus.OUT_OF_SERVICE
    page = kiosk.get("/kiosk/summary")
    assert 'data-out-of-service="true"' in page.content.decode()
    refused = kiosk.post(
        "/kiosk/pay/card", {"idempotency_key": hidden_value(page, "idempotency_key")}
    )
    assert refused.status_code == 422
    error = re.search(
        r"<div class=\"error-box\"[^>]*data-payment-error>(.*?)</div>",
        refused.content.decode(),
        re.S,
    )
    assert error is not None and "This kiosk is out of service" in error.group(1)
    assert not TopupOrder.objects.filter(channel="kiosk").exists()
    assert_books_balance()


def test_an_old_summary_page_pays_nothing(kiosk: KioskBrowser) -> None:
    start(kiosk)
    insert_card(kiosk, SUCCEEDS)
    choose_number_and_amount(kiosk, IDENTIFIED_EMPTY, 1000)
    stale = kiosk.post("/kiosk/pay/card", {"idempotency_key": str(uuid.uuid4())})
    assert stale.status_code == 409
    assert not TopupOrder.objects.filter(channel="kiosk").exists()
