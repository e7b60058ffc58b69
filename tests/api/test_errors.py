"""One error shape for every error, with the message in the caller's language."""

from __future__ import annotations

import pytest

from .conftest import IDENTIFIED_WITH_FIVE_EUROS, Api, assert_error, login

pytestmark = pytest.mark.usefixtures("demo")

LANGUAGES = ("en", "nl", "fr", "de", "zh-Hans")


def test_an_application_error_speaks_every_product_language(api: Api) -> None:
    messages = {}
    for language in LANGUAGES:
        response = api.as_language(language).post("/auth/otp", {"msisdn": "12345"})
        messages[language] = assert_error(response, 422, "invalid_msisdn")["message"]
        assert response["Content-Language"].lower() == language.lower()

    assert len(set(messages.values())) == len(LANGUAGES), messages
    assert messages["en"].isascii()
    assert any("\u4e00" <= char <= "\u9fff" for char in str(messages["zh-Hans"]))


def test_a_mainland_chinese_browser_gets_simplified_chinese(api: Api) -> None:
    simplified = api.as_language("zh-Hans").post("/auth/otp", {"msisdn": "12345"})
    mainland = api.as_language("zh-CN,zh;q=0.9,en;q=0.5").post("/auth/otp", {"msisdn": "12345"})

    assert mainland.json()["error"]["message"] == simplified.json()["error"]["message"]


def test_an_unknown_language_falls_back_to_english(api: Api) -> None:
    english = api.post("/auth/otp", {"msisdn": "12345"}).json()["error"]["message"]

    response = api.as_language("tlh").post("/auth/otp", {"msisdn": "12345"})

    assert response.json()["error"]["message"] == english


def test_validation_errors_name_each_field(api: Api) -> None:
    response = api.as_language("fr").post("/auth/token", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})

    error = assert_error(response, 422, "validation_error")
    assert error["details"] == {
        "fields": [
            {
                "field": "code",
                "location": "body",
                "type": "missing",
                "message": "Field required",
            }
        ]
    }
    assert error["message"] != api.post("/auth/token", {}).json()["error"]["message"]


def test_a_body_that_is_not_json_is_a_bad_request(api: Api) -> None:
    response = api.client.post(
        "/api/v1/auth/otp", data=b"{not json", content_type="application/json"
    )

    assert_error(response, 400, "bad_request")


def test_an_unknown_address_is_not_found(api: Api) -> None:
    assert_error(api.get("/no/such/thing"), 404, "not_found")


def test_a_wrong_method_is_not_allowed_and_says_which_is(api: Api) -> None:
    response = api.get("/auth/otp")

    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_a_bug_answers_500_without_details_but_with_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = login(api, IDENTIFIED_WITH_FIVE_EUROS)

    def broken(**_: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("topup.channels.api.routers.me.sim_balance", broken)

    response = me.get("/me", headers={"X-Request-Id": "req-42"})

    error = assert_error(response, 500, "internal_error")
    assert error["details"] == {"request_id": "req-42"}
    assert b"hunter2" not in response.content
