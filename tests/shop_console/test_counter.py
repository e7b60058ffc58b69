"""The counter through the console's pages: find, identify, top up for cash or card, print, void,
close the till — with the books balancing after each."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from stdnum.be import eid

from tests.shop_console.conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_WITH_FIVE_EUROS,
    assert_books_balance,
    form_value,
    sell_cash,
    text_of,
)
from topup.audit.services import Actor
from topup.catalog.models import Shop
from topup.receipts import printers
from topup.receipts.escpos import receipt_render_escpos
from topup.receipts.printers import DummyPrinter, PrinterStatus
from topup.shops.models import CounterVoid, TillClose, VoidStatus
from topup.subscribers.models import Sim, SimStatus
from topup.subscribers.selectors import sim_balance
from topup.subscribers.services import line_hold_open
from topup.topups.models import TopupOrder
from topup.topups.services import topup_receipt_build
from topup.visits.services import queue_ticket_take

pytestmark = pytest.mark.django_db

# ICAO 9303's specimen passport (TD3): valid check digits, expired on 15 April 2012.
EXPIRED_PASSPORT_MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)


def eid_card_number(serial: int) -> str:
    """A Belgian eID card number with valid mod-97 check digits."""
    body = f"{serial:010d}"
    for check in (int(body) % 97 or 97, 97 - int(body) % 97):
        number = f"{body}{check:02d}"
        if eid.is_valid(number):
            return number
    raise AssertionError("no check digits found")


def paid_cents(msisdn: str) -> int:
    return sim_balance(sim=Sim.objects.get(msisdn=msisdn)).paid_cents


# --- finding a customer -------------------------------------------------------------------


def test_find_customer_by_number_shows_masked_facts(agent: Client) -> None:
    response = agent.post("/shop/customer", {"msisdn": "0470 00 00 03"})
    assert response.status_code == 200
    page = text_of(response)
    assert "0470 •• •• 03" in page
    assert "Marie" not in page and "Dubois" not in page
    assert "Awaiting identification" in page and "Not identified" in page
    assert "+32470000003" not in response.content.decode()


def test_find_customer_unknown_number_error_next_to_field(agent: Client) -> None:
    response = agent.post("/shop/customer", {"msisdn": "0470 99 99 99"})
    assert response.status_code == 404
    assert 'data-error-for="msisdn"' in response.content.decode()
    assert "not a line of this operator" in text_of(response)


def test_customer_search_needs_csrf(agent: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = agent.cookies
    assert strict.post("/shop/customer", {"msisdn": "0470000003"}).status_code == 403


# --- identifying at the counter -----------------------------------------------------------


def test_identify_activates_a_new_line(agent: Client) -> None:
    agent.post("/shop/customer", {"msisdn": AWAITING_IDENTIFICATION})
    form = agent.get("/shop/customer/identify")
    assert form_value(form, "msisdn") == AWAITING_IDENTIFICATION  # carried in the session
    response = agent.post(
        "/shop/customer/identify",
        {
            "msisdn": AWAITING_IDENTIFICATION,
            "document_type": "be_eid",
            "document_number": eid_card_number(1234567),
            "issuing_country": "BEL",
            "expires_on": "2032-05-31",
            "national_register_number": "",
        },
    )
    assert response.status_code == 200, text_of(response)
    assert "The line is active" in text_of(response)
    assert Sim.objects.get(msisdn=AWAITING_IDENTIFICATION).status == SimStatus.ACTIVE
    assert_books_balance()


def test_identify_clears_a_hold_for_reverification(agent: Client) -> None:
    sim = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    line_hold_open(sim=sim, reason="sim_swap", details={}, actor=Actor.system("test"))
    found = agent.post("/shop/customer", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    assert "SIM swapped" in text_of(found)
    assert "Top-ups are held" in text_of(found)
    response = agent.post(
        "/shop/customer/identify",
        {
            "msisdn": IDENTIFIED_WITH_FIVE_EUROS,
            "document_type": "be_eid",
            "document_number": eid_card_number(2345678),
            "issuing_country": "BEL",
            "expires_on": "2031-01-31",
        },
    )
    assert response.status_code == 200, text_of(response)
    assert "Any hold for re-verification is cleared" in text_of(response)
    assert "SIM swapped" not in text_of(agent.post("/shop/customer", {"msisdn": sim.msisdn}))


def test_identify_wrong_check_digits_error_next_to_number(agent: Client) -> None:
    number = eid_card_number(7654321)
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
    response = agent.post(
        "/shop/customer/identify",
        {
            "msisdn": AWAITING_IDENTIFICATION,
            "document_type": "be_eid",
            "document_number": mistyped,
            "issuing_country": "BEL",
            "expires_on": "2032-05-31",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'data-error-for="document_number">[^<]*check digits do not match', html)
    assert Sim.objects.get(msisdn=AWAITING_IDENTIFICATION).status != SimStatus.ACTIVE


def test_identify_expired_document_error_next_to_expiry(agent: Client) -> None:
    response = agent.post(
        "/shop/customer/identify",
        {
            "msisdn": AWAITING_IDENTIFICATION,
            "document_type": "passport",
            "document_number": EXPIRED_PASSPORT_MRZ,
            "issuing_country": "",
        },
    )
    assert response.status_code == 422
    assert re.search(r'data-error-for="expires_on">[^<]*has expired', response.content.decode())
    assert Sim.objects.get(msisdn=AWAITING_IDENTIFICATION).status != SimStatus.ACTIVE


# --- top-up for cash and card -------------------------------------------------------------


def test_topup_page_labels_the_terminal(agent: Client) -> None:
    page = agent.get("/shop/topup")
    assert page.status_code == 200
    assert "Payment terminal (simulator)" in text_of(page)
    uuid.UUID(form_value(page, "idempotency_key"))


def test_cash_topup_flow_credits_the_line_once(agent: Client) -> None:
    before = paid_cents(IDENTIFIED_WITH_FIVE_EUROS)
    page = agent.get("/shop/topup")
    data = {
        "msisdn": "0470 00 00 01",
        "amount": "20",
        "payment_method": "cash",
        "idempotency_key": form_value(page, "idempotency_key"),
    }
    first = agent.post("/shop/topup", data)
    again = agent.post("/shop/topup", data)  # a double click sells once
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert paid_cents(IDENTIFIED_WITH_FIVE_EUROS) == before + 2000

    order_page = agent.get(first.headers["Location"])
    assert order_page.status_code == 200
    text = text_of(order_page)
    assert "€20.00" in text.replace("\xa0", "") and "Cash" in text
    assert "Print receipt" in text and "Request void" in text
    assert_books_balance()


def test_topup_errors_next_to_fields(agent: Client) -> None:
    page = agent.get("/shop/topup")
    key = form_value(page, "idempotency_key")
    bad_amount = agent.post(
        "/shop/topup",
        {
            "msisdn": IDENTIFIED_WITH_FIVE_EUROS,
            "amount": "abc",
            "payment_method": "cash",
            "idempotency_key": key,
        },
    )
    assert bad_amount.status_code == 422
    assert 'data-error-for="amount"' in bad_amount.content.decode()
    not_identified = agent.post(
        "/shop/topup",
        {
            "msisdn": AWAITING_IDENTIFICATION,
            "amount": "10",
            "payment_method": "cash",
            "idempotency_key": key,
        },
    )
    assert not_identified.status_code == 409
    assert 'data-error-for="msisdn"' in not_identified.content.decode()
    assert not TopupOrder.objects.filter(sim__msisdn=AWAITING_IDENTIFICATION).exists()


def test_card_topup_on_the_terminal_and_a_declined_card(agent: Client) -> None:
    before = paid_cents(IDENTIFIED_WITH_FIVE_EUROS)
    page = agent.get("/shop/topup")
    declined = agent.post(
        "/shop/topup",
        {
            "msisdn": IDENTIFIED_WITH_FIVE_EUROS,
            "amount": "15",
            "payment_method": "card",
            "card_number": "4000 0000 0000 0002",
            "idempotency_key": form_value(page, "idempotency_key"),
        },
    )
    assert declined.status_code == 402, text_of(declined)
    html = declined.content.decode()
    assert 'data-error-for="card_number"' in html
    assert "4000 0000 0000 0002" not in html and "4000000000000002" not in html
    assert paid_cents(IDENTIFIED_WITH_FIVE_EUROS) == before

    approved = agent.post(
        "/shop/topup",
        {
            "msisdn": IDENTIFIED_WITH_FIVE_EUROS,
            "amount": "15",
            "payment_method": "card",
            "card_number": "4242 4242 4242 4242",
            "idempotency_key": form_value(declined, "idempotency_key"),
        },
    )
    assert approved.status_code == 302, text_of(approved)
    assert paid_cents(IDENTIFIED_WITH_FIVE_EUROS) == before + 1500
    order_page = agent.get(approved.headers["Location"])
    assert "4242424242424242" not in order_page.content.decode()
    assert_books_balance()


# --- receipt: printer and PDF -------------------------------------------------------------


def test_print_receipt_sends_the_receipts_escpos_bytes(
    agent: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    printer = DummyPrinter()
    asked: list[str] = []

    def the_counter_printer(url: str) -> DummyPrinter:
        asked.append(url)
        return printer

    monkeypatch.setattr(printers, "printer_from_url", the_counter_printer)
    response = agent.post(f"/shop/orders/{order_id}/print", {"language": "nl"})
    assert response.status_code == 302
    assert asked == ["dummy:"]
    receipt = topup_receipt_build(order=TopupOrder.objects.get(pk=order_id))
    assert printer.output == receipt_render_escpos(receipt=receipt, language="nl")
    assert receipt.receipt_number.encode() in printer.output
    assert b"\x1dV" in printer.output  # the paper is cut


def test_print_uses_the_shops_printer_setting(agent: Client, settings: Settings) -> None:
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    settings.TOPUP_SHOP_PRINTERS = {"bru-central": "file:///nonexistent/dir/lp0"}
    response = agent.post(f"/shop/orders/{order_id}/print")
    assert response.status_code == 503  # that device file cannot be opened
    assert "printer did not answer" in text_of(response)


def test_printer_unavailable_offers_the_pdf(agent: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    offline = DummyPrinter(simulated_status=PrinterStatus.OFFLINE)
    monkeypatch.setattr(printers, "printer_from_url", lambda url: offline)
    response = agent.post(f"/shop/orders/{order_id}/print")
    assert response.status_code == 503
    assert "printer did not answer" in text_of(response)
    assert f'href="/shop/orders/{order_id}/receipt.pdf' in response.content.decode()
    pdf = agent.get(f"/shop/orders/{order_id}/receipt.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


# --- voids --------------------------------------------------------------------------------


def test_void_requested_by_agent_approved_by_manager(agent: Client, manager: Client) -> None:
    before = paid_cents(IDENTIFIED_WITH_FIVE_EUROS)
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="25")
    asked = agent.post(f"/shop/orders/{order_id}/void", {"reason": "wrong amount typed"})
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/shop/voids"
    agent_view = agent.get("/shop/voids")
    assert "Waiting for a manager" in text_of(agent_view)
    assert "Approve and reverse" not in text_of(agent_view)

    void = CounterVoid.objects.get(order_id=order_id)
    manager_view = manager.get("/shop/voids")
    assert "Approve and reverse" in text_of(manager_view)
    decided = manager.post(f"/shop/voids/{void.pk}/decide", {"decision": "approve"})
    assert decided.status_code == 302
    void.refresh_from_db()
    assert void.status == VoidStatus.EXECUTED
    assert paid_cents(IDENTIFIED_WITH_FIVE_EUROS) == before
    assert_books_balance()


def test_an_agent_cannot_approve_a_void(agent: Client) -> None:
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="25")
    agent.post(f"/shop/orders/{order_id}/void", {"reason": "customer changed their mind"})
    void = CounterVoid.objects.get(order_id=order_id)
    response = agent.post(f"/shop/voids/{void.pk}/decide", {"decision": "approve"}, follow=True)
    assert "can approve a void" in text_of(response)
    void.refresh_from_db()
    assert void.status == VoidStatus.REQUESTED


# --- one shop cannot see another's --------------------------------------------------------


def test_partner_cannot_see_or_act_on_another_shops_sale(agent: Client, partner: Client) -> None:
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    for response in (
        partner.get(f"/shop/orders/{order_id}"),
        partner.get(f"/shop/orders/{order_id}/receipt.pdf"),
        partner.post(f"/shop/orders/{order_id}/print"),
        partner.post(f"/shop/orders/{order_id}/void", {"reason": "not mine"}),
    ):
        assert response.status_code in (403, 404)
        assert "0470 •• •• 01" not in response.content.decode()
    assert not CounterVoid.objects.filter(order_id=order_id).exists()

    agent.post(f"/shop/orders/{order_id}/void", {"reason": "wrong number"})
    void = CounterVoid.objects.get(order_id=order_id)
    assert str(void.pk) not in re.findall(
        r"data-void=\"(\d+)\"", partner.get("/shop/voids").content.decode()
    )
    partner.post(f"/shop/voids/{void.pk}/decide", {"decision": "approve"})
    partner.post(f"/shop/voids/{void.pk}/decide", {"decision": "refuse", "reason": "x"})
    void.refresh_from_db()
    assert void.status == VoidStatus.REQUESTED


def test_partner_sells_from_its_float(partner: Client) -> None:
    home = partner.get("/shop/")
    assert "Prepaid float left" in text_of(home)
    order_id = sell_cash(partner, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    assert partner.get(f"/shop/orders/{order_id}").status_code == 200
    assert_books_balance()


# --- queue ---------------------------------------------------------------------------------


def test_call_next_and_served(agent: Client) -> None:
    shop = Shop.objects.get(code="bru-central")
    ticket = queue_ticket_take(shop=shop, source="shop")
    home = agent.get("/shop/")
    assert "1 person waiting" in text_of(home)
    assert agent.post("/shop/queue/next").status_code == 302
    home = agent.get("/shop/")
    assert f'data-ticket="{ticket.number}"' in home.content.decode()
    assert agent.post("/shop/queue/finish", {"outcome": "served"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "served"
    assert "Call next" in text_of(agent.get("/shop/"))


# --- till close ---------------------------------------------------------------------------


def test_till_close_with_a_difference_and_z_report(agent: Client) -> None:
    sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="20")
    sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    page = agent.get("/shop/till")
    assert page.status_code == 200
    assert "30" not in text_of(page)  # a blind count: the expected cash is not shown before
    closed = agent.post("/shop/till", {"counted": "25,50"})
    assert closed.status_code == 302, text_of(closed)
    close = TillClose.objects.get()
    assert closed.headers["Location"] == f"/shop/till/{close.pk}"
    result = agent.get(closed.headers["Location"])
    html = result.content.decode()
    assert 'data-expected-cents="3000"' in html
    assert 'data-counted-cents="2550"' in html
    assert 'data-difference-cents="-450"' in html
    assert "cash missing" in text_of(result)
    pdf = agent.get(f"/shop/till/{close.pk}/z-report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert_books_balance()


def test_partner_has_no_till_and_cannot_see_an_operator_close(
    agent: Client, partner: Client
) -> None:
    assert "no till to close" in text_of(partner.get("/shop/till"))
    refused = partner.post("/shop/till", {"counted": "0"})
    assert refused.status_code == 409
    agent.post("/shop/till", {"counted": "0"})
    close = TillClose.objects.get()
    assert partner.get(f"/shop/till/{close.pk}").status_code in (403, 404)
    assert partner.get(f"/shop/till/{close.pk}/z-report.pdf").status_code in (403, 404)
