"""Query counts pinned on the hot paths: a new query (or an N+1) shows up here first.

The numbers are what each request needs today; lower one when a change saves a query, and raise
it only with a reason. A test transaction turns each `atomic` block into a savepoint, counted
here (in production they are BEGIN/COMMIT, which Django does not count).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from pytest_django.fixtures import DjangoAssertNumQueries as AssertQueries
from pytest_django.fixtures import Settings

from tests.support import sms_code_on_handset
from topup.core import clock
from topup.core.worker import worker_drain
from topup.ledger.verify import ledger_verify
from topup.payments.simulator.services import simulator_settings_update
from topup.payments.simulator.signature import SIGNATURE_HEADER, signature_header_build
from topup.payments.simulator.webhooks import EVENT_TYPE, webhook_event_body
from topup.topups.models import TopupOrder

from .conftest import IDENTIFIED_EMPTY, IDENTIFIED_WITH_FIVE_EUROS, Api, login

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("demo")

PUBLIC_URL = "http://localhost"
SUCCEEDING_CARD = "4242424242424242"

# GET /api/v1/me: the token with its line, then both credit balances in one read.
ME_QUERIES = 2
# GET /api/v1/topups/{id}: the token with its line, the order with its line.
TOPUP_GET_QUERIES = 2
# GET /api/v1/me/topups: token, count-free page of orders with their lines, whatever its length.
HISTORY_QUERIES = 2
# POST /api/v1/topups with a card: the token; the channel, its methods and limits come from the
# per-process catalog cache. Under the line's lock: the line read by its number with the order
# the key made, if any (one statement), its holds with one sum for the day and the month (one
# statement), then the order with its transition and its audit event. The (in-process)
# simulator inserts its payment unless its outage switch is on (one INSERT ... SELECT ... WHERE
# ... ON CONFLICT, no savepoint). Then one transaction records the payment (INSERT ... ON
# CONFLICT) with the attempt, and moves the order on (a conditional UPDATE, which takes the row
# lock) with the transition. On PostgreSQL each "with" is one statement (prepared, counted here
# like the ORM's); on SQLite two INSERTs or an UPDATE and an INSERT. 4 of them are savepoints
# (BEGIN/COMMIT in production); 34 before the catalog cache and these merges.
TOPUP_CREATE_QUERIES = {"postgresql": 11, "sqlite": 15}
# The same key again: token; the line, locked, read with the order the key made (the statement
# every create starts with), in a savepoint (BEGIN/COMMIT in production); nothing written.
TOPUP_REPLAY_QUERIES = 4
# POST /api/v1/payments/webhooks/simulator: store the event once, queue its processing
# (4 statements, 3 savepoints).
WEBHOOK_QUERIES = 7
# The queued notice, in the worker: claim, ask the provider, credit, queue the receipt SMS.
# At most: the ledger's credit is one prepared statement on PostgreSQL (31 in all today), a few
# ORM statements on SQLite (35).
NOTICE_PROCESSING_MAX_QUERIES = 35
# GET /account (the website): the session, the line with its subscriber, brand and plan (one read
# for the language middleware, the view and the template), both balances, open holds.
WEB_ACCOUNT_QUERIES = 4


@pytest.fixture(autouse=True)
def quiet_simulator(settings: Settings, db: None) -> None:
    settings.TOPUP_PUBLIC_URL = PUBLIC_URL
    simulator_settings_update(webhook_mode="never")  # the tests deliver the webhooks


def _create(
    me: Api, *, key: str | None = None, msisdn: str = IDENTIFIED_WITH_FIVE_EUROS
) -> TestResponse:
    return me.post(
        "/topups",
        {"msisdn": msisdn, "amount": "10.00", "payment_method": "card"},
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def _paid_order(me: Api) -> str:
    created = _create(me)
    order = created.json()
    page = order["payment"]["redirect_url"].removeprefix(PUBLIC_URL)
    paid = me.client.post(page, {"card_number": SUCCEEDING_CARD})
    assert paid.status_code == 303, paid.content
    return str(order["id"])


def _signed_notice(order_id: str) -> tuple[bytes, str]:
    payment_id = TopupOrder.objects.get(pk=order_id).provider_payment_id
    body = webhook_event_body(
        {"id": f"sim_evt_{order_id}", "type": EVENT_TYPE, "data": {"payment_id": payment_id}}
    )
    header = signature_header_build(
        secret=settings.TOPUP_SIMULATOR_WEBHOOK_SECRET,
        body=body,
        timestamp=int(clock.now().timestamp()),
    )
    return body, header


def test_ping_answers_without_touching_the_database(
    api: Api, django_assert_num_queries: AssertQueries
) -> None:
    with django_assert_num_queries(0):
        response = api.get("/ping")

    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True}


def test_me_reads_the_line_and_both_balances_in_two_queries(
    api: Api, django_assert_num_queries: AssertQueries
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)

    with django_assert_num_queries(ME_QUERIES):
        response = me.get("/me")

    assert response.status_code == 200, response.content
    assert response.json()["balance"]["amount"] == "5.00"
    assert response.json()["promotional_balance"]["amount"] == "0.00"


def test_creating_a_topup_takes_a_fixed_number_of_queries(
    api: Api, django_assert_num_queries: AssertQueries
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    _create(me)  # the catalog and the simulator's settings row exist from here on

    with django_assert_num_queries(TOPUP_CREATE_QUERIES[connection.vendor]):
        response = _create(me, msisdn=IDENTIFIED_EMPTY)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["msisdn"]) == ("awaiting_payment", IDENTIFIED_EMPTY)
    assert body["payment"]["redirect_url"].startswith(f"{PUBLIC_URL}/simulator/pay/")


def test_a_replayed_create_reads_the_order_and_writes_nothing(
    api: Api, django_assert_num_queries: AssertQueries
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    key = str(uuid.uuid4())
    first = _create(me, key=key).json()

    with django_assert_num_queries(TOPUP_REPLAY_QUERIES) as captured:
        again = _create(me, key=key)

    assert again.json()["id"] == first["id"]
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "INSERT" not in sql and "UPDATE" not in sql


def test_reading_a_topup_takes_two_queries(
    api: Api, django_assert_num_queries: AssertQueries
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    order_id = _create(me).json()["id"]

    with django_assert_num_queries(TOPUP_GET_QUERIES):
        response = me.get(f"/topups/{order_id}")

    assert response.status_code == 200, response.content
    assert response.json()["msisdn"] == IDENTIFIED_WITH_FIVE_EUROS


@pytest.mark.parametrize("orders", [1, 6])
def test_the_history_page_costs_the_same_whatever_its_length(
    api: Api, django_assert_num_queries: AssertQueries, orders: int
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    for _ in range(orders):
        _create(me)

    with django_assert_num_queries(HISTORY_QUERIES):
        response = me.get("/me/topups")

    assert len(response.json()["items"]) == orders
    assert {item["msisdn"] for item in response.json()["items"]} == {IDENTIFIED_WITH_FIVE_EUROS}


def test_the_webhook_path_credits_with_pinned_queries(
    api: Api,
    django_assert_num_queries: AssertQueries,
    django_assert_max_num_queries: AssertQueries,
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    order_id = _paid_order(me)
    worker_drain()  # the simulator's own queued work, not the notice's
    body, header = _signed_notice(order_id)

    with django_assert_num_queries(WEBHOOK_QUERIES):
        response = api.client.post(
            "/api/v1/payments/webhooks/simulator",
            data=body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: header},
        )
    with django_assert_max_num_queries(NOTICE_PROCESSING_MAX_QUERIES):
        ran = worker_drain(max_tasks=1)

    assert response.status_code == 200, response.content
    assert ran == 1
    assert me.get(f"/topups/{order_id}").json()["status"] == "credited"
    assert me.get("/me").json()["balance"]["amount"] == "15.00"
    assert ledger_verify() == []


def test_the_web_account_page_reads_the_line_once(
    client: Client, django_assert_num_queries: AssertQueries
) -> None:
    asked = client.post("/login", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    assert asked.status_code == 302, asked.content
    verified = client.post("/login/code", {"code": sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)})
    assert verified.status_code == 302, verified.content

    with django_assert_num_queries(WEB_ACCOUNT_QUERIES):
        response = client.get("/account")

    assert response.status_code == 200, response.content
    assert "5,00" in response.content.decode()
