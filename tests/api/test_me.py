"""The logged-in line: balance, validity and history."""

from __future__ import annotations

import pytest

from .conftest import IDENTIFIED_EMPTY, IDENTIFIED_WITH_FIVE_EUROS, Api, assert_error, login

pytestmark = pytest.mark.usefixtures("demo")


def test_me_shows_number_status_and_balances(api: Api) -> None:
    response = login(api, IDENTIFIED_WITH_FIVE_EUROS).get("/me")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["msisdn"] == IDENTIFIED_WITH_FIVE_EUROS
    assert body["status"] == "active"
    assert body["balance"] == {"amount": "5.00", "currency": "EUR"}
    assert body["promotional_balance"] == {"amount": "0.00", "currency": "EUR"}
    assert "validity_until" in body


def test_me_shows_each_line_its_own_balance(api: Api) -> None:
    body = login(api, IDENTIFIED_EMPTY).get("/me").json()

    assert body["msisdn"] == IDENTIFIED_EMPTY
    assert body["balance"]["amount"] == "0.00"


def test_me_needs_a_token(api: Api) -> None:
    response = api.get("/me")

    assert_error(response, 401, "authentication_required")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(api: Api) -> None:
    assert_error(api.as_token("not-a-real-token").get("/me"), 401, "authentication_required")


def test_history_starts_empty_and_caps_the_page_size(api: Api) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)

    response = me.get("/me/topups?limit=500&offset=0")

    assert response.status_code == 200, response.content
    assert response.json() == {"items": [], "limit": 100, "offset": 0}


def test_history_refuses_a_negative_offset(api: Api) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)

    error = assert_error(me.get("/me/topups?offset=-1"), 422, "validation_error")

    assert error["details"] == {
        "fields": [
            {
                "field": "offset",
                "location": "query",
                "type": "greater_than_equal",
                "message": "Input should be greater than or equal to 0",
            }
        ]
    }
