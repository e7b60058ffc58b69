"""Fixtures for the API tests: the demo data, a JSON client, and logging in through the API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from tests.support import sms_code_on_handset as code_on_handset
from topup.cli.demo_data import demo_data_load

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
IDENTIFIED_EMPTY = "+32470000002"
AWAITING_IDENTIFICATION = "+32470000003"


@pytest.fixture
def demo(db: None) -> None:
    demo_data_load()


@dataclass
class Api:
    """A JSON client for /api/v1 that speaks one language and may carry a Bearer token."""

    client: Client
    language: str = "en"
    token: str | None = None

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Accept-Language": self.language}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> TestResponse:
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers))

    def post(
        self,
        path: str,
        body: object,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> TestResponse:
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def as_language(self, language: str) -> Api:
        return Api(client=self.client, language=language, token=self.token)

    def as_token(self, token: str | None) -> Api:
        return Api(client=self.client, language=self.language, token=token)


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client=client)


def login(api: Api, msisdn: str) -> Api:
    """Log in through the API as a customer would; returns a client carrying the token."""
    sent = api.post("/auth/otp", {"msisdn": msisdn})
    assert sent.status_code == 202, sent.content
    token = api.post("/auth/token", {"msisdn": msisdn, "code": code_on_handset(msisdn)})
    assert token.status_code == 200, token.content
    return api.as_token(token.json()["access_token"])


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, object]:
    """The one error shape, with this status and code; returns the error object."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return dict(error)
