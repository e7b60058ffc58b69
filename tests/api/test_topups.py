"""Top-up orders through the API: creation, idempotency, every refusal, status and receipt."""

from __future__ import annotations

import uuid

import pytest
from pytest_django.fixtures import Settings

from topup.audit.services import Actor
from topup.payments.simulator.services import simulator_settings_update
from topup.subscribers.models import HoldReason, Sim, SimStatus
from topup.subscribers.services import line_hold_open, sim_status_change

from .conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    Api,
    assert_error,
    login,
)

pytestmark = pytest.mark.usefixtures("demo")

PUBLIC_URL = "http://topup.example"  # the simulator refuses URLs without a dotted host
TOPUP = {
    "msisdn": "0470 00 00 02",
    "amount": "10.00",
    "currency": "EUR",
    "payment_method": "card",
}


@pytest.fixture(autouse=True)
def public_url(settings: Settings, db: None) -> None:
    settings.TOPUP_PUBLIC_URL = PUBLIC_URL
    simulator_settings_update(webhook_mode="never")  # the tests deliver webhooks themselves


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def create(api: Api, *, headers: dict[str, str] | None = None, **changes: str) -> dict[str, object]:
    response = api.post("/topups", {**TOPUP, **changes}, headers=headers or _key())
    assert response.status_code == 201, response.content
    body: dict[str, object] = response.json()
    return body


def test_anyone_can_start_a_topup_and_is_sent_to_the_payment_page(api: Api) -> None:
    body = create(api)

    assert body["status"] == "awaiting_payment"
    assert body["msisdn"] == IDENTIFIED_EMPTY
    assert body["amount"] == {"amount": "10.00", "currency": "EUR"}
    assert body["failure_reason"] is None
    payment = body["payment"]
    assert isinstance(payment, dict)
    assert payment["method"] == "card"
    assert str(payment["redirect_url"]).startswith(f"{PUBLIC_URL}/simulator/pay/")


def test_the_same_key_again_returns_the_same_order(api: Api) -> None:
    key = _key()
    first = create(api, headers=key)

    again = create(api, headers=key)

    assert again["id"] == first["id"]
    assert again["payment"] == first["payment"]


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    key = _key()
    create(api, headers=key)

    response = api.post("/topups", {**TOPUP, "amount": "20.00"}, headers=key)

    assert_error(response, 409, "idempotency_key_reused")


def test_keys_are_scoped_per_caller(api: Api) -> None:
    key = _key()
    anonymous = create(api, headers=key)

    logged_in = create(login(api, IDENTIFIED_WITH_FIVE_EUROS), headers=key, amount="20.00")

    assert logged_in["id"] != anonymous["id"]


def test_an_idempotency_key_is_required(api: Api) -> None:
    assert_error(api.post("/topups", TOPUP), 400, "idempotency_key_required")


@pytest.mark.parametrize("key", ["x" * 129, "has space", "é"])
def test_an_idempotency_key_must_be_short_visible_ascii(api: Api, key: str) -> None:
    response = api.post("/topups", TOPUP, headers={"Idempotency-Key": key})

    assert_error(response, 400, "idempotency_key_invalid")


@pytest.mark.parametrize("amount", ["ten", "-5", "10.001", "1e3", "10,00,0", ""])
def test_an_amount_that_is_not_euros_is_refused(api: Api, amount: str) -> None:
    response = api.post("/topups", {**TOPUP, "amount": amount}, headers=_key())

    assert response.json()["error"]["code"] in {"invalid_amount", "validation_error"}
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"msisdn": "12345"}, 422, "invalid_msisdn"),
        ({"msisdn": "+32479999999"}, 404, "subscriber_not_found"),
        ({"msisdn": AWAITING_IDENTIFICATION}, 409, "subscriber_not_identified"),
        ({"amount": "1.00"}, 422, "amount_below_minimum"),
        ({"amount": "200.00"}, 422, "amount_above_limit"),
        ({"amount": "abc"}, 422, "invalid_amount"),
        ({"currency": "USD"}, 422, "unsupported_currency"),
        ({"payment_method": "cash"}, 422, "payment_method_unavailable"),
    ],
)
def test_a_topup_the_platform_refuses_says_why(
    api: Api, changes: dict[str, str], status: int, code: str
) -> None:
    response = api.post("/topups", {**TOPUP, **changes}, headers=_key())

    assert_error(response, status, code)


def test_a_suspended_line_cannot_be_topped_up(api: Api, system_actor: Actor) -> None:
    sim = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)
    sim_status_change(sim=sim, status=SimStatus.SUSPENDED, reason="test", actor=system_actor)

    assert_error(api.post("/topups", TOPUP, headers=_key()), 409, "subscriber_suspended")


def test_a_line_held_after_a_sim_swap_waits_for_reverification(
    api: Api, system_actor: Actor
) -> None:
    sim = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)

    response = api.post("/topups", TOPUP, headers=_key())

    assert_error(response, 409, "line_held_for_reverification")


def test_the_daily_limit_counts_todays_topups(api: Api) -> None:
    create(api, amount="150.00")

    response = api.post("/topups", {**TOPUP, "amount": "150.00"}, headers=_key())

    assert_error(response, 422, "daily_limit_reached")


def test_anyone_with_the_id_sees_the_status_with_the_number_masked(api: Api) -> None:
    order = create(login(api, IDENTIFIED_WITH_FIVE_EUROS))

    response = api.get(f"/topups/{order['id']}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "awaiting_payment"
    assert body["msisdn"] == "+32470••••02"
    assert body["amount"] == {"amount": "10.00", "currency": "EUR"}


def test_the_payer_and_the_line_see_the_full_number(api: Api) -> None:
    payer = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    order = create(payer)

    for caller in (payer, login(api, IDENTIFIED_EMPTY)):
        body = caller.get(f"/topups/{order['id']}").json()
        assert body["msisdn"] == IDENTIFIED_EMPTY


def test_another_line_cannot_see_an_order_that_is_not_its_own(api: Api) -> None:
    order = create(api, msisdn=IDENTIFIED_EMPTY)

    response = login(api, IDENTIFIED_WITH_FIVE_EUROS).get(f"/topups/{order['id']}")

    assert_error(response, 404, "topup_not_found")


def test_an_unknown_order_is_not_found(api: Api) -> None:
    assert_error(api.get(f"/topups/{uuid.uuid4()}"), 404, "topup_not_found")


def test_an_order_id_that_is_not_a_uuid_is_a_validation_error(api: Api) -> None:
    assert_error(api.get("/topups/not-a-uuid"), 422, "validation_error")


def test_history_lists_orders_paid_by_me_and_to_my_line(api: Api) -> None:
    payer = login(api, IDENTIFIED_WITH_FIVE_EUROS)
    to_other = create(payer)
    to_me = create(api, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="15.00")

    listed = payer.get("/me/topups?limit=1").json()
    everything = payer.get("/me/topups").json()

    assert listed["limit"] == 1 and len(listed["items"]) == 1
    assert [item["id"] for item in everything["items"]] == [to_me["id"], to_other["id"]]


def test_the_receipt_waits_for_the_credit(api: Api) -> None:
    order = create(api)

    response = api.get(f"/topups/{order['id']}/receipt.pdf")

    assert_error(response, 409, "receipt_not_available")
