"""Disputes on the website: report a problem from a receipt, follow it, read the outcome."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from topup.audit.services import Actor
from topup.core.money import format_amount_for_locale
from topup.disputes.models import Dispute, DisputeOutcome, DisputeReason, DisputeStatus
from topup.disputes.services import dispute_open, dispute_resolve
from topup.ledger.verify import ledger_verify
from topup.payments.simulator.services import simulator_settings_update
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import TopupRequest, topup_order_create, topup_order_reconcile

from .conftest import IDENTIFIED_EMPTY, IDENTIFIED_WITH_FIVE_EUROS, web_login

pytestmark = pytest.mark.usefixtures("demo")

SUCCEEDING_CARD = "4242424242424242"
STAFF = Actor(actor_type="staff", actor_id="901", ip_address="192.0.2.7")
DETAIL_URL = re.compile(r"^/disputes/(\d+)$")


@pytest.fixture(autouse=True)
def no_webhooks(demo: None) -> None:
    simulator_settings_update(webhook_mode="never")  # the tests reconcile themselves


def _order(*, payer: str, target: str, amount_cents: int = 1000) -> TopupOrder:
    request = TopupRequest(
        msisdn=target,
        amount_cents=amount_cents,
        currency="EUR",
        payment_method="card",
        channel="online",
        idempotency_scope=f"tests:{payer}",
        idempotency_key=uuid.uuid4().hex,
        requested_by=Sim.objects.get(msisdn=payer),
        language="en",
    )
    return topup_order_create(request=request, actor=Actor.system("tests"))


def _credited(*, payer: str, target: str, amount_cents: int = 1000) -> TopupOrder:
    """A top-up paid on the simulator's page (another browser) and applied by reconciliation."""
    order = _order(payer=payer, target=target, amount_cents=amount_cents)
    path = order.payment_redirect_url.removeprefix("http://localhost")
    assert Client().post(path, {"card_number": SUCCEEDING_CARD}).status_code == 303
    order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
    assert order.status == TopupStatus.CREDITED
    return order


def _logged_in(msisdn: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # the demo lines speak nl/zh/fr: read in English
    web_login(client, msisdn)
    return client


@pytest.fixture
def jan() -> Client:
    return _logged_in(IDENTIFIED_WITH_FIVE_EUROS)


def _report(client: Client, order: TopupOrder, **data: str) -> Dispute:
    response = client.post(f"/history/{order.pk}/dispute", data)
    assert response.status_code == 303, response.content.decode()
    match = DETAIL_URL.match(response.headers["Location"])
    assert match is not None, response.headers["Location"]
    return Dispute.objects.get(pk=int(match.group(1)))


def test_the_receipt_offers_to_report_a_problem(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    body = jan.get(f"/history/{order.pk}/receipt").content.decode()

    # htmx swaps the panel in; without JavaScript the link opens it as a page.
    assert f'hx-get="/history/{order.pk}/dispute"' in body
    assert f'href="/history/{order.pk}/dispute"' in body
    assert "Report a problem with this top-up" in body


def test_the_panel_alone_for_htmx_and_as_a_page_without(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    fragment = jan.get(f"/history/{order.pk}/dispute", headers={"HX-Request": "true"})
    page = jan.get(f"/history/{order.pk}/dispute")

    assert fragment.status_code == page.status_code == 200
    assert "<html" not in fragment.content.decode() and "<html" in page.content.decode()
    assert "HX-Request" in fragment.headers["Vary"]
    for reason in DisputeReason:
        assert f'<option value="{reason.value}"' in fragment.content.decode()
    assert 'name="message"' in fragment.content.decode()


def test_a_customer_reports_a_problem_and_follows_it(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    dispute = _report(
        jan, order, reason=DisputeReason.NOT_CREDITED, message="The balance did not change."
    )
    detail = jan.get(f"/disputes/{dispute.pk}")
    panel = jan.get(f"/history/{order.pk}/dispute", headers={"HX-Request": "true"})

    assert dispute.order_id == order.pk and dispute.status == DisputeStatus.OPEN
    assert dispute.message == "The balance did not change."
    assert detail.status_code == 200
    assert "We are looking into it" in detail.content.decode()
    assert "The balance did not change." in detail.content.decode()
    assert detail.headers["Cache-Control"] == "private, no-store"
    # The receipt's panel lists the report with its status, and offers no second one.
    assert f'href="/disputes/{dispute.pk}"' in panel.content.decode()
    assert "We are looking into it" in panel.content.decode()
    assert 'name="reason"' not in panel.content.decode()


def test_the_outcome_in_plain_words(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)
    goodwill = _report(jan, order, reason=DisputeReason.WRONG_AMOUNT, message="Short by 2 euros.")
    dispute_resolve(
        dispute=goodwill, outcome=DisputeOutcome.GOODWILL, amount_cents=200, note="", actor=STAFF
    )
    rejected = _report(jan, order, reason=DisputeReason.CHARGED_TWICE, message="Twice?")
    dispute_resolve(
        dispute=rejected,
        outcome=DisputeOutcome.REJECT,
        amount_cents=None,
        note="Only one payment reached us for this top-up.",
        actor=STAFF,
    )

    credited = jan.get(f"/disputes/{goodwill.pk}").content.decode()
    refused = jan.get(f"/disputes/{rejected.pk}").content.decode()

    assert "Answered" in credited
    assert "We added €2.00 of credit to 0470 00 00 01." in credited
    assert "could not accept it" in refused
    assert "Only one payment reached us for this top-up." in refused  # a rejection says why
    assert ledger_verify() == []


def test_only_the_line_that_reported_it_sees_a_dispute(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_EMPTY)
    dispute = _report(jan, order, reason=DisputeReason.WRONG_NUMBER, message="Wrong number.")
    # The line that was credited may see the order, but not the payer's report about it.
    li = _logged_in(IDENTIFIED_EMPTY)

    assert li.get(f"/disputes/{dispute.pk}").status_code == 404
    panel = li.get(f"/history/{order.pk}/dispute").content.decode()
    assert "Wrong number." not in panel and f"/disputes/{dispute.pk}" not in panel


def test_someone_elses_order_does_not_exist(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_EMPTY, target=IDENTIFIED_EMPTY)

    shown = jan.get(f"/history/{order.pk}/dispute")
    posted = jan.post(f"/history/{order.pk}/dispute", {"reason": "other", "message": "Mine!"})

    assert shown.status_code == posted.status_code == 404
    assert not Dispute.objects.exists()


def test_unknown_ids_are_not_found(jan: Client) -> None:
    assert jan.get(f"/history/{uuid.uuid4()}/dispute").status_code == 404
    assert jan.get("/disputes/987654").status_code == 404


def test_a_visitor_is_sent_to_the_login_page(client: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)
    dispute = dispute_open(
        order=order,
        opened_by=Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS),
        reason=DisputeReason.OTHER,
        message="Hello",
        actor=STAFF,
    )

    for response in (
        client.get(f"/disputes/{dispute.pk}"),
        client.post(f"/history/{order.pk}/dispute", {"reason": "other", "message": "x"}),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/login")
    assert Dispute.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"reason": "lost_my_phone", "message": "x"}, "reason", "Select a valid choice"),
        ({"reason": "other", "message": "x" * 1001}, "message", "1000 characters or fewer"),
        ({"reason": "other", "message": "   "}, "message", "Describe the problem in a few words"),
    ],
)
def test_invalid_reports_are_refused_at_their_field(
    jan: Client, data: dict[str, str], field: str, words: str
) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    response = jan.post(f"/history/{order.pk}/dispute", data)

    body = response.content.decode()
    assert response.status_code == 422
    assert f'aria-describedby="id_{field}-error"' in body or f'id="id_{field}-error"' in body
    assert words in body
    assert not Dispute.objects.exists()


def test_a_second_report_while_one_is_open_is_refused_with_a_next_step(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)
    _report(jan, order, reason=DisputeReason.OTHER, message="First.")

    again = jan.post(f"/history/{order.pk}/dispute", {"reason": "other", "message": "Second."})

    body = again.content.decode()
    assert again.status_code == 409
    assert 'data-error-code="dispute_already_open"' in body
    assert "already open" in body
    assert Dispute.objects.count() == 1


def test_a_top_up_not_credited_cannot_be_disputed(jan: Client) -> None:
    waiting = _order(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)

    shown = jan.get(f"/history/{waiting.pk}/dispute").content.decode()
    posted = jan.post(f"/history/{waiting.pk}/dispute", {"reason": "other", "message": "Where?"})

    assert "once a top-up is credited" in shown and 'name="reason"' not in shown
    assert posted.status_code == 409
    assert 'data-error-code="dispute_order_not_eligible"' in posted.content.decode()
    assert not Dispute.objects.exists()


def test_the_panel_follows_the_chosen_language(jan: Client) -> None:
    order = _credited(payer=IDENTIFIED_WITH_FIVE_EUROS, target=IDENTIFIED_WITH_FIVE_EUROS)
    jan.cookies["django_language"] = "fr"

    page = jan.get(f"/history/{order.pk}/dispute").content.decode()

    assert '<html lang="fr"' in page
    assert format_amount_for_locale(1000, "fr") in page  # "10,00 €"
