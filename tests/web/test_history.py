"""Records on the website: the history with its filters and pages, receipts, the PDF and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from topup.audit.services import Actor
from topup.core.money import format_amount_for_locale
from topup.payments.simulator.services import simulator_settings_update
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import TopupRequest, topup_order_create, topup_order_reconcile

from .conftest import IDENTIFIED_EMPTY, IDENTIFIED_WITH_FIVE_EUROS, web_login

pytestmark = pytest.mark.usefixtures("demo")

SUCCEEDING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


@pytest.fixture(autouse=True)
def no_webhooks(demo: None) -> None:
    simulator_settings_update(webhook_mode="never")  # the tests reconcile themselves


def _order(
    *, payer: str, target: str, amount_cents: int = 1000, method: str = "card"
) -> TopupOrder:
    """A top-up asked for by the payer's line, through the real service, awaiting payment."""
    request = TopupRequest(
        msisdn=target,
        amount_cents=amount_cents,
        currency="EUR",
        payment_method=method,
        channel="online",
        idempotency_scope=f"tests:{payer}",
        idempotency_key=uuid.uuid4().hex,
        requested_by=Sim.objects.get(msisdn=payer),
        language="en",
    )
    return topup_order_create(request=request, actor=Actor.system("tests"))


def _pay(order: TopupOrder, card: str = SUCCEEDING_CARD) -> TopupOrder:
    """Pay on the simulator's page with a separate browser, then let reconciliation apply it."""
    path = order.payment_redirect_url.removeprefix("http://localhost")
    paid = Client().post(path, {"card_number": card})
    assert paid.status_code == 303, paid.content
    return topup_order_reconcile(order=order, actor=Actor.system("tests"))


def _credited(*, payer: str, target: str, amount_cents: int = 1000) -> TopupOrder:
    order = _pay(_order(payer=payer, target=target, amount_cents=amount_cents))
    assert order.status == TopupStatus.CREDITED
    return order


def _move_to(order: TopupOrder, moment: dt.datetime) -> None:
    """Date an order in the past (there is no service for it: only tests travel in time)."""
    TopupOrder.objects.filter(pk=order.pk).update(created_at=moment)


def _rows(body: str) -> set[str]:
    """The orders listed on a history page, by their row ids."""
    return set(re.findall(r'<tr id="topup-([0-9a-f-]{36})"', body))


def _receipt_links(body: str) -> set[str]:
    return set(re.findall(r'href="/history/([0-9a-f-]{36})/receipt"', body))


@pytest.fixture
def jan(client: Client) -> Client:
    """Jan's account speaks Dutch; the picker's cookie makes these pages English, to read them."""
    client.cookies["django_language"] = "en"
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    return client


def test_the_history_lists_topups_to_me_and_for_others_with_their_receipts(jan: Client) -> None:
    own = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)
    other = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=2000)
    waiting = _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=1500)

    page = jan.get("/history", headers={"Accept-Language": "en"})

    body = page.content.decode()
    assert page.status_code == 200
    assert "0470 00 00 02" in body and "0470 00 00 01" in body
    assert "Waiting for payment" in body and "Credited" in body
    assert format_amount_for_locale(2000, "en") in body
    assert _receipt_links(body) == {str(own.pk), str(other.pk)}
    assert _rows(body) == {str(own.pk), str(other.pk), str(waiting.pk)}
    # The number filter's values are internal ids: no phone number goes into a URL.
    assert re.search(r'<option value="\d+"[^>]*>0470 00 00 02</option>', body)
    # (A UUID may contain "470" by chance: look for the numbers themselves, in any form.)
    digits = {n.removeprefix("+32") for n in (IDENTIFIED_WITH_FIVE_EUROS, IDENTIFIED_EMPTY)}
    hrefs = [re.sub(r"[\s%+]|20", "", h) for h in re.findall(r'href="([^"]*)"', body)]
    assert not [href for href in hrefs if any(d in href for d in digits)]


def test_the_history_is_only_for_a_logged_in_line(client: Client) -> None:
    response = client.get("/history")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_each_filter_narrows_the_list(jan: Client) -> None:
    now = timezone.now()
    old = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)
    _move_to(old, now - dt.timedelta(days=40))
    to_li = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY)
    declined = _pay(
        _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY), DECLINED_CARD
    )
    assert declined.status == TopupStatus.FAILED
    li_sim = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)

    def listed(query: dict[str, str]) -> set[str]:
        response = jan.get("/history", query)
        assert response.status_code == 200
        return _rows(response.content.decode())

    recent_start = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    old_day = timezone.localtime(now - dt.timedelta(days=40)).date().isoformat()

    assert listed({}) == {str(old.pk), str(to_li.pk), str(declined.pk)}
    assert listed({"since": recent_start}) == {str(to_li.pk), str(declined.pk)}
    assert listed({"until": old_day}) == {str(old.pk)}
    assert listed({"status": "failed"}) == {str(declined.pk)}
    assert listed({"status": "credited", "number": str(li_sim.pk)}) == {str(to_li.pk)}
    assert listed({"number": str(li_sim.pk)}) == {str(to_li.pk), str(declined.pk)}


def test_an_invalid_filter_is_shown_next_to_its_field_and_not_applied(jan: Client) -> None:
    _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    response = jan.get("/history", {"since": "2026-05-10", "until": "2026-05-01", "number": "999"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "The end date comes before the start date." in body
    assert 'aria-describedby="id_until-error"' in body
    assert 'aria-describedby="id_number-error"' in body


def test_the_history_comes_in_pages_of_twenty(jan: Client) -> None:
    orders = [
        _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=500)
        for _ in range(23)
    ]
    start = timezone.now() - dt.timedelta(hours=1)
    for minutes, order in enumerate(orders):
        _move_to(order, start + dt.timedelta(minutes=minutes))

    first = jan.get("/history").content.decode()
    second = jan.get("/history", {"page": "2"}).content.decode()

    assert len(_rows(first)) == 20
    assert len(_rows(second)) == 3
    assert _rows(first) | _rows(second) == {str(order.pk) for order in orders}
    assert 'rel="next" href="/history?page=2"' in first
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_pages_keep_the_filters(jan: Client) -> None:
    for _ in range(21):
        _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=500)

    body = jan.get("/history", {"status": "awaiting_payment"}).content.decode()

    assert 'href="/history?status=awaiting_payment&amp;page=2"' in body
    assert 'href="/history/export.csv?status=awaiting_payment"' in body


def test_htmx_gets_only_the_panel(jan: Client) -> None:
    response = jan.get("/history", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'class="history-filters"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_the_receipt_page_shows_vat_masked_method_and_operator(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=1210)

    response = jan.get(f"/history/{order.pk}/receipt", headers={"Accept-Language": "en"})

    body = response.content.decode()
    assert response.status_code == 200
    assert order.receipt_number and order.receipt_number in body
    assert "VAT 21%" in body and "2.10" in body  # € 12.10 includes € 2.10 VAT
    assert "10.00" in body  # excluding VAT
    assert order.payment_instrument_masked and order.payment_instrument_masked in body
    assert "4242424242424242" not in body
    assert "Visa / Mastercard" in body
    assert "0470 00 00 02" in body
    assert "VAT number:" in body
    assert 'href="/history/' + str(order.pk) + '/receipt.pdf"' in body


def test_the_line_that_was_credited_sees_the_receipt_too(client: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY)
    web_login(client, IDENTIFIED_EMPTY)

    assert client.get(f"/history/{order.pk}/receipt").status_code == 200


def test_another_lines_receipt_is_not_found(client: Client) -> None:
    order = _credited(payer=IDENTIFIED_EMPTY, target=IDENTIFIED_EMPTY)
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert client.get(f"/history/{order.pk}/receipt").status_code == 404
    assert client.get(f"/history/{order.pk}/receipt.pdf").status_code == 404
    assert client.get(f"/history/{uuid.uuid4()}/receipt").status_code == 404


def test_a_receipt_before_the_credit_says_it_comes_with_the_credit(jan: Client) -> None:
    order = _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY)

    page = jan.get(f"/history/{order.pk}/receipt", headers={"Accept-Language": "en"})
    pdf = jan.get(f"/history/{order.pk}/receipt.pdf")

    assert page.status_code == 409
    assert "once the credit has arrived" in page.content.decode()
    assert pdf.status_code == 409
    assert pdf["Content-Type"].startswith("text/html")


def test_the_receipt_pdf_downloads(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    response = jan.get(f"/history/{order.pk}/receipt.pdf", headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        f'attachment; filename="receipt-{order.receipt_number}.pdf"'
    )


def _csv(response_content: bytes, delimiter: str) -> list[list[str]]:
    assert response_content.startswith("\ufeff".encode())
    text = response_content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_the_csv_export_has_the_columns_a_bom_and_the_filters(client: Client) -> None:
    client.cookies["django_language"] = "en"
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    credited = _credited(
        payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=1250
    )
    _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY)

    everything = client.get("/history/export.csv")
    only_credited = client.get("/history/export.csv", {"status": "credited"})

    assert everything.status_code == 200
    assert everything["Content-Type"] == "text/csv; charset=utf-8"
    assert everything["Content-Disposition"].startswith("attachment;")
    rows = _csv(everything.content, ",")
    assert rows[0] == [
        "Date",
        "Time",
        "Receipt number",
        "Number",
        "Amount",
        "Currency",
        "Status",
        "Payment method",
    ]
    assert len(rows) == 3
    credited_rows = _csv(only_credited.content, ",")[1:]
    assert len(credited_rows) == 1
    date, time, receipt_number, number, amount, currency, status, method = credited_rows[0]
    local = timezone.localtime(credited.created_at)
    assert (date, time) == (local.date().isoformat(), local.strftime("%H:%M"))
    assert receipt_number == credited.receipt_number
    assert (number, amount, currency, status) == ("0470 00 00 02", "12.50", "EUR", "Credited")
    assert method.startswith("Visa / Mastercard")


def test_the_csv_speaks_belgian_excel_in_dutch(client: Client) -> None:
    client.cookies["django_language"] = "nl"
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY, amount_cents=1250)

    rows = _csv(client.get("/history/export.csv").content, ";")

    assert len(rows[0]) == 8
    assert rows[1][4] == "12,50"


def test_the_csv_guards_against_formulas(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY)
    # A provider could send anything as the masked instrument: it must never run as a formula.
    TopupOrder.objects.filter(pk=order.pk).update(payment_instrument_masked="=HYPERLINK(1)")
    TopupOrder.objects.filter(pk=order.pk).update(payment_method="@SUM(A1)")

    text = jan.get("/history/export.csv").content.decode("utf-8-sig")

    assert "'@SUM(A1) =HYPERLINK(1)" in text
    for line in text.splitlines()[1:]:
        for cell in re.split(r"[;,]", line):
            assert not cell.startswith(("=", "+", "-", "@"))
