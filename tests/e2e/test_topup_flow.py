"""The whole top-up over real HTTP: API, the simulator's page, signed webhooks, the real worker.

Everything a client does goes over the loopback to a live server; the worker delivers the
simulator's webhooks over HTTP to the platform and applies them. No step is called directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from topup.cli.demo_data import demo_data_load
from topup.core.worker import worker_drain
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify
from topup.payments.simulator.services import simulator_settings_update
from topup.topups.models import TopupOrder
from topup.topups.services import topup_orders_sweep
from topup.topups.verify import topup_verify

pytestmark = pytest.mark.django_db(transaction=True)

OWNER = "+32470000002"  # identified, € 0.00
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT = "4000000000009995"
PROCESSING = "4000000000000119"
SECRET = "whsec_e2e_secret"


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> dict[str, object]:
        loaded = json.loads(self.body)
        assert isinstance(loaded, dict)
        return loaded


@dataclass
class Http:
    base: str
    token: str = ""

    def call(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> Reply:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        return _send(request)

    def form(self, url: str, fields: dict[str, str]) -> Reply:
        data = urllib.parse.urlencode(fields).encode()
        return _send(urllib.request.Request(url, data=data, method="POST"))


def _send(request: urllib.request.Request) -> Reply:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read())


@pytest.fixture
def http(live_server: LiveServer, settings: Settings) -> Iterator[Http]:
    settings.TOPUP_PUBLIC_URL = live_server.url
    settings.TOPUP_SIMULATOR_WEBHOOK_SECRET = SECRET
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    settings.TOPUP_SIMULATOR_PENDING_RESOLVE_S = 0
    demo_data_load()
    yield Http(live_server.url)


def _login(http: Http, msisdn: str, capsys: pytest.CaptureFixture[str]) -> Http:
    assert http.call("POST", "/api/v1/auth/otp", {"msisdn": msisdn}).status == 202
    worker_drain()
    capsys.readouterr()
    call_command("sms", "outbox", "--msisdn", msisdn, "--last")
    match = re.search(r"\b(\d{6})\b", capsys.readouterr().out)
    assert match is not None, "no code in the SMS outbox"
    reply = http.call("POST", "/api/v1/auth/token", {"msisdn": msisdn, "code": match.group(1)})
    assert reply.status == 200, reply.body
    return Http(http.base, token=str(reply.json()["access_token"]))


def _topup(http: Http, amount: str = "10.00", key: str | None = None) -> dict[str, object]:
    reply = http.call(
        "POST",
        "/api/v1/topups",
        {"msisdn": OWNER, "amount": amount, "currency": "EUR", "payment_method": "card"},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )
    assert reply.status == 201, reply.body
    return reply.json()


def _pay(http: Http, order: dict[str, object], card: str) -> None:
    payment = order["payment"]
    assert isinstance(payment, dict)
    reply = http.form(str(payment["redirect_url"]), {"card_number": card})
    assert reply.status == 200, reply.body  # followed the 303 back to the status page


def _status(http: Http, order: dict[str, object]) -> dict[str, object]:
    return http.call("GET", f"/api/v1/topups/{order['id']}").json()


def _balance(http: Http) -> str:
    balance = http.call("GET", "/api/v1/me").json()["balance"]
    assert isinstance(balance, dict)
    return str(balance["amount"])


@pytest.mark.parametrize(
    ("card", "status", "reason", "balance"),
    [
        (SUCCEEDS, "credited", None, "10.00"),
        (DECLINED, "failed", "card_declined", "0.00"),
        (INSUFFICIENT, "failed", "insufficient_funds", "0.00"),
        (PROCESSING, "credited", None, "10.00"),  # pending first, resolved by the provider
    ],
)
def test_each_test_card_through_the_whole_flow(
    http: Http,
    capsys: pytest.CaptureFixture[str],
    card: str,
    status: str,
    reason: str | None,
    balance: str,
) -> None:
    me = _login(http, OWNER, capsys)
    order = _topup(me)
    assert order["status"] == "awaiting_payment"
    _pay(me, order, card)
    worker_drain()
    result = _status(me, order)
    assert (result["status"], result["failure_reason"]) == (status, reason)
    assert _balance(me) == balance
    assert ledger_verify() == [] and topup_verify() == []


def test_idempotent_retries_and_duplicate_webhooks_credit_once(
    http: Http, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator_settings_update(webhook_mode="twice")
    me = _login(http, OWNER, capsys)
    first = _topup(me, key="retry-me")
    again = _topup(me, key="retry-me")
    assert again["id"] == first["id"]
    conflict = me.call(
        "POST",
        "/api/v1/topups",
        {"msisdn": OWNER, "amount": "20.00", "currency": "EUR", "payment_method": "card"},
        headers={"Idempotency-Key": "retry-me"},
    )
    assert conflict.status == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_reused"  # type: ignore[index]
    _pay(me, first, SUCCEEDS)
    worker_drain()
    assert _status(me, first)["status"] == "credited"
    assert _balance(me) == "10.00"
    assert Transfer.objects.filter(reason_code="topup").count() == 1


def test_late_and_out_of_order_webhooks_end_credited_once(
    http: Http, capsys: pytest.CaptureFixture[str]
) -> None:
    me = _login(http, OWNER, capsys)
    simulator_settings_update(webhook_mode="out_of_order")
    early = _topup(me)
    _pay(me, early, SUCCEEDS)
    worker_drain()
    simulator_settings_update(webhook_mode="late", late_delay_s=3600)
    late = _topup(me, amount="5.00")
    _pay(me, late, SUCCEEDS)
    worker_drain()
    assert _status(me, late)["status"] == "awaiting_payment"  # the webhook has not come yet
    DBTaskResult.objects.filter(status="READY").update(run_after=dt.datetime.now(tz=dt.UTC))
    worker_drain()
    assert [_status(me, o)["status"] for o in (early, late)] == ["credited", "credited"]
    assert _balance(me) == "15.00"
    assert ledger_verify() == [] and topup_verify() == []


def test_a_webhook_that_never_comes_is_reconciled(
    http: Http, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator_settings_update(webhook_mode="never")
    me = _login(http, OWNER, capsys)
    order = _topup(me)
    _pay(me, order, SUCCEEDS)
    worker_drain()
    assert _status(me, order)["status"] == "awaiting_payment"
    an_hour_ago = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1)
    TopupOrder.objects.update(updated_at=an_hour_ago)
    topup_orders_sweep()
    assert _status(me, order)["status"] == "credited"
    assert topup_verify() == []


def _signed(body: bytes, *, secret: str, timestamp: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"Topup-Signature": f"t={timestamp},v1={digest.hexdigest()}"}


def _deliver_by_hand(http: Http, order: dict[str, object], *, secret: str, age_s: int) -> Reply:
    payment = order["payment"]
    assert isinstance(payment, dict)
    payment_id = str(payment["redirect_url"]).rstrip("/").rsplit("/", 1)[-1]
    data = {
        "payment_id": payment_id,
        "status": "captured",
        "reference": order["id"],
        "amount_cents": 1000,
        "currency": "EUR",
    }
    body = json.dumps(
        {"id": f"evt_{uuid.uuid4().hex}", "type": "payment.updated", "data": data}
    ).encode()
    request = urllib.request.Request(
        f"{http.base}/api/v1/payments/webhooks/simulator", data=body, method="POST"
    )
    request.add_header("Content-Type", "application/json")
    for name, value in _signed(body, secret=secret, timestamp=int(time.time()) - age_s).items():
        request.add_header(name, value)
    return _send(request)


@pytest.mark.parametrize(
    ("secret", "age_s"),
    [("forged-secret", 0), (SECRET, 6 * 60), (SECRET, -6 * 60)],
    ids=["forged signature", "replayed old timestamp", "timestamp from the future"],
)
def test_forged_or_replayed_webhooks_are_rejected_and_credit_nothing(
    http: Http, capsys: pytest.CaptureFixture[str], secret: str, age_s: int
) -> None:
    simulator_settings_update(webhook_mode="never")
    me = _login(http, OWNER, capsys)
    order = _topup(me)
    _pay(me, order, SUCCEEDS)

    reply = _deliver_by_hand(http, order, secret=secret, age_s=age_s)

    assert reply.status == 400
    assert reply.json()["error"]["code"] == "webhook_rejected"  # type: ignore[index]
    worker_drain()
    assert _status(me, order)["status"] == "awaiting_payment"
    assert Transfer.objects.filter(reason_code="topup").count() == 0
    # The same notice, correctly signed and fresh, is accepted: the refusal was the signature.
    assert _deliver_by_hand(http, order, secret=SECRET, age_s=0).status == 200
    worker_drain()
    assert _status(me, order)["status"] == "credited"
