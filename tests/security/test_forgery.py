"""Forged, replayed or tampered webhooks, QR tokens, kiosk credentials and API tokens are refused.

What is already covered elsewhere, and not repeated here:
- webhook signatures (HMAC, tolerance both ways, rotation, garbled headers, any changed digit):
  tests/payments/test_signature.py; forged secret, old replay, unsigned, duplicate delivery
  credited once over HTTP: tests/api/test_webhooks.py; the simulator's duplicate and
  out-of-order deliveries: tests/payments/test_webhook_delivery.py;
- the kiosk QR hand-off (tampered, single use, expired, another kiosk, previous session, revoked
  kiosk): tests/kiosks/test_handoff.py and test_handoff_page.py;
- kiosk credentials (unknown, garbled, wrong secret, revoked, re-enrolled, a customer or staff
  login instead, the credential sent to other channels): tests/kiosks/test_devices.py and
  tests/kiosk_screens/test_device_auth.py;
- API tokens (unknown, oversized, expired, revoked): tests/subscribers/test_access_tokens.py.
Here: what those leave open, over HTTP, and random forgeries drawn by hypothesis.
"""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.security.conftest import (
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    PUBLIC_URL,
    SUCCEEDS,
    api_token,
    assert_books_balance,
    order_create,
)
from tests.support import sms_code_on_handset
from tests.web.conftest import web_login
from topup.core import clock
from topup.core.errors import JsonValue
from topup.core.worker import worker_drain
from topup.kiosks.models import KioskDevice, KioskIdentity
from topup.kiosks.services import (
    KIOSK_RECEIPT_LINK_TTL_S,
    kiosk_device_authenticate,
    kiosk_device_enrol,
    kiosk_qr_handoff_create,
    kiosk_receipt_link,
    kiosk_session_card_insert,
    kiosk_session_pay_card,
    kiosk_session_poll,
    kiosk_session_set_amount,
    kiosk_session_set_target,
    kiosk_session_start,
    kiosks_demo_setup,
)
from topup.payments.models import WebhookEvent
from topup.payments.simulator.services import simulator_settings_update
from topup.payments.simulator.signature import SIGNATURE_HEADER, signature_header_build
from topup.payments.simulator.webhooks import EVENT_TYPE, webhook_event_body
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.models import TopupOrder, TopupStatus

pytestmark = pytest.mark.usefixtures("demo")

WEBHOOK = "/api/v1/payments/webhooks/simulator"
# What a WSGI server can hand over in a header: latin-1 text (RFC 9110 §5.5).
header_text = st.characters(max_codepoint=0xFF)
forgeries = hypothesis_settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def webhooks_delivered_by_the_tests(demo: None) -> None:
    simulator_settings_update(webhook_mode="never")


def _paid_cents(msisdn: str) -> int:
    return sim_balance(sim=sim_get_by_msisdn(msisdn=msisdn)).paid_cents


def _pay_on_page(client: Client, order: TopupOrder, card_number: str = SUCCEEDS) -> None:
    paid = client.post(
        order.payment_redirect_url.removeprefix(PUBLIC_URL), {"card_number": card_number}
    )
    assert paid.status_code == 303, paid.content


def _notice(order: TopupOrder, *, event_id: str = "sim_evt_forgery") -> bytes:
    order.refresh_from_db()
    data: dict[str, JsonValue] = {"payment_id": order.provider_payment_id}
    return webhook_event_body({"id": event_id, "type": EVENT_TYPE, "data": data})


def _deliver(client: Client, body: bytes, header: str) -> int:
    response = client.post(
        WEBHOOK, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
    )
    return response.status_code


def _signed(body: bytes, *, at: int | None = None) -> str:
    timestamp = int(clock.now().timestamp()) if at is None else at
    return signature_header_build(
        secret=settings.TOPUP_SIMULATOR_WEBHOOK_SECRET, body=body, timestamp=timestamp
    )


# --- Webhooks --------------------------------------------------------------------------------


def test_a_notice_whose_body_was_changed_after_signing_is_refused(client: Client) -> None:
    paid, unpaid = order_create(), order_create(msisdn=IDENTIFIED_EMPTY)
    _pay_on_page(client, paid)
    header = _signed(_notice(paid))

    assert _deliver(client, _notice(unpaid), header) == 400
    assert _deliver(client, _notice(paid) + b" ", header) == 400
    worker_drain()

    assert not WebhookEvent.objects.exists()
    unpaid.refresh_from_db()
    assert unpaid.status == TopupStatus.AWAITING_PAYMENT


def test_an_old_signature_moved_to_a_fresh_timestamp_is_refused(client: Client) -> None:
    order = order_create()
    _pay_on_page(client, order)
    body = _notice(order)
    old = int(clock.now().timestamp()) - 3600
    signature = _signed(body, at=old).split("v1=")[1]

    fresh_header = f"t={int(clock.now().timestamp())},v1={signature}"

    assert _deliver(client, body, fresh_header) == 400
    assert not WebhookEvent.objects.exists()


def test_a_correctly_signed_notice_cannot_credit_an_unpaid_order(client: Client) -> None:
    """Even with the secret leaked: a notice only says "look", the provider's answer decides."""
    before = _paid_cents(IDENTIFIED_WITH_FIVE_EUROS)
    unpaid = order_create()
    declined = order_create()
    _pay_on_page(client, declined, card_number="4000000000000002")

    for order, event_id in ((unpaid, "sim_evt_unpaid"), (declined, "sim_evt_declined")):
        body = _notice(order, event_id=event_id)
        assert _deliver(client, body, _signed(body)) == 200
    worker_drain()

    unpaid.refresh_from_db()
    declined.refresh_from_db()
    assert unpaid.status == TopupStatus.AWAITING_PAYMENT
    assert declined.status == TopupStatus.FAILED
    assert _paid_cents(IDENTIFIED_WITH_FIVE_EUROS) == before
    assert_books_balance()


@forgeries
@example(header="t=1,v1=" + "0" * 64, body=b"\x00")
@given(
    header=st.text(header_text, max_size=200) | st.from_regex(r"\At=\d{1,12},v1=[0-9a-f]{64}\Z"),
    body=st.binary(max_size=300),
)
def test_no_random_signature_or_body_is_ever_accepted(
    client: Client, header: str, body: bytes
) -> None:
    response = client.post(
        WEBHOOK, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "webhook_rejected"
    assert not WebhookEvent.objects.exists()


# --- QR tokens: the kiosk receipt link (the hand-off QR is covered in tests/kiosks) ----------


def _kiosk_order() -> tuple[KioskDevice, TopupOrder]:
    codes = {kiosk.code: code for kiosk, code in kiosks_demo_setup()}
    device = kiosk_device_authenticate(
        credential=kiosk_device_enrol(enrolment_code=codes["kiosk-bru-midi"])
    )
    session = kiosk_session_start(device=device, language="en")
    kiosk_session_card_insert(device=device, session_id=session.pk, card_number=SUCCEEDS)
    kiosk_session_set_target(device=device, session_id=session.pk, msisdn=IDENTIFIED_EMPTY)
    kiosk_session_set_amount(device=device, session_id=session.pk, amount_cents=1000)
    order = kiosk_session_pay_card(device=device, session_id=session.pk, idempotency_key="k-1")
    return device, order


def _receipt_path(link: str) -> str:
    return link.removeprefix(PUBLIC_URL)


def test_a_receipt_link_works_until_it_expires(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _device, order = _kiosk_order()
    link = kiosk_receipt_link(order=order)
    assert client.get(_receipt_path(link)).status_code == 200

    # Signed a moment longer ago than a link lives.
    signed_at = time.time() - KIOSK_RECEIPT_LINK_TTL_S - 60
    with monkeypatch.context() as patched:
        patched.setattr("django.core.signing.time.time", lambda: signed_at)
        stale = kiosk_receipt_link(order=order)
    assert client.get(_receipt_path(stale)).status_code == 404


def test_a_receipt_link_with_any_character_changed_is_refused(client: Client) -> None:
    _device, order = _kiosk_order()
    token = _receipt_path(kiosk_receipt_link(order=order)).removeprefix("/kiosks/receipts/")
    for position in range(0, len(token), 3):
        replacement = "A" if token[position] != "A" else "B"
        forged = token[:position] + replacement + token[position + 1 :]
        assert client.get(f"/kiosks/receipts/{forged}").status_code == 404, position


def test_a_token_of_one_kind_is_no_token_of_another(client: Client) -> None:
    """Salted signatures: a hand-off QR is no receipt link, a receipt link no hand-off."""
    device, order = _kiosk_order()
    session = kiosk_session_start(device=device, language="en")
    handoff = kiosk_qr_handoff_create(device=device, session_id=session.pk)
    receipt_token = _receipt_path(kiosk_receipt_link(order=order)).removeprefix("/kiosks/receipts/")
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert client.get(f"/kiosks/receipts/{handoff.token}").status_code == 404
    assert client.post(f"/kiosk-handoff/{receipt_token}").status_code in (400, 404, 422)
    # A receipt link names a kiosk order only: re-signed for an online order it shows nothing.
    online = order_create()
    online_token = signing.dumps(str(online.pk), salt="topup.kiosks.receipt_link")
    assert client.get(f"/kiosks/receipts/{online_token}").status_code == 404
    assert kiosk_session_poll(device=device, session_id=session.pk).identity == KioskIdentity.NONE


# --- Kiosk credentials -------------------------------------------------------------------------


@forgeries
@example(credential="kiosk\x00.secret")
@given(
    credential=st.text(header_text, max_size=140)
    | st.from_regex(r"\A[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{1,80}\Z")
)
def test_no_random_kiosk_credential_opens_a_kiosk_screen(credential: str) -> None:
    client = Client()
    client.cookies["topup_kiosk"] = credential

    assert client.get("/kiosk/").status_code == 401
    assert client.post("/kiosk/heartbeat", {"printer_status": "ok"}).status_code == 401


def test_a_kiosk_credential_with_any_character_changed_is_refused() -> None:
    codes = {kiosk.code: code for kiosk, code in kiosks_demo_setup()}
    credential = kiosk_device_enrol(enrolment_code=codes["kiosk-liege"])
    client = Client()
    client.cookies["topup_kiosk"] = credential
    assert client.get("/kiosk/").status_code == 200
    for position in range(len(credential)):
        if credential[position] == ".":
            continue
        replacement = "A" if credential[position] != "A" else "B"
        client.cookies["topup_kiosk"] = (
            credential[:position] + replacement + credential[position + 1 :]
        )
        assert client.get("/kiosk/").status_code == 401, position


# --- API bearer tokens -------------------------------------------------------------------------


@forgeries
@example(token="\x00")
@example(token="a" * 64 + "\x00")
@given(token=st.text(header_text, min_size=1, max_size=300))
def test_no_random_bearer_token_reads_an_account(client: Client, token: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "authentication_required"


def test_a_bearer_token_with_any_character_changed_is_refused(client: Client) -> None:
    token = api_token(client, IDENTIFIED_WITH_FIVE_EUROS)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for position in range(0, len(token), 2):
        replacement = "A" if token[position] != "A" else "B"
        forged = token[:position] + replacement + token[position + 1 :]
        answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert answer.status_code == 401, position


def test_a_login_code_cannot_be_replayed_for_a_second_token(client: Client) -> None:
    msisdn = IDENTIFIED_EMPTY
    sent = client.post(
        "/api/v1/auth/otp", data=json.dumps({"msisdn": msisdn}), content_type="application/json"
    )
    assert sent.status_code == 202
    body = json.dumps({"msisdn": msisdn, "code": sms_code_on_handset(msisdn)})
    first = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    replayed = client.post("/api/v1/auth/token", data=body, content_type="application/json")

    assert first.status_code == 200
    assert replayed.status_code == 401, replayed.content
