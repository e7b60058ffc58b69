"""Information does not match: re-verifying online through the identity provider's redirect."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.identity.simulator import services as simulator_services
from topup.subscribers.models import HoldReason, LineHold, Sim
from topup.subscribers.services import line_hold_open

from .conftest import IDENTIFIED_WITH_FIVE_EUROS, web_login

SIMULATOR_BANNER = "Identity provider simulator — test mode"


@pytest.fixture
def held(demo: None, client: Client) -> Sim:
    """Jan's line, held after a SIM swap, with Jan logged in."""
    sim = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=Actor.system("tests"))
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _in_english(client)
    return sim


def _in_english(client: Client) -> None:
    """Jan's account speaks Dutch; the language picker's cookie wins, so the texts are English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _is_held(sim: Sim) -> bool:
    return LineHold.objects.filter(sim=sim, cleared_at__isnull=True).exists()


def _to_provider(client: Client, method: str = "online_eid") -> str:
    started = client.post("/verify/start", {"method": method})
    assert started.status_code == 302
    assert urlsplit(started["Location"]).path == "/idp/authorize"
    return started["Location"]


def _at_provider(client: Client, authorize_url: str, answer: dict[str, str]) -> str:
    page = client.get(authorize_url)
    assert SIMULATOR_BANNER in page.content.decode()
    redirected = client.post(authorize_url, answer)
    assert redirected.status_code == 303
    assert urlsplit(redirected["Location"]).path == "/verify/callback"
    return redirected["Location"]


def _back_on_the_site(client: Client, callback_url: str) -> str:
    back = client.get(callback_url, follow=True)
    assert back.status_code == 200
    assert back.redirect_chain[-1][0] == "/verify"
    return back.content.decode()


def test_the_page_says_why_the_line_is_held_and_what_to_do(held: Sim, client: Client) -> None:
    page = client.get("/verify")
    text = page.content.decode()
    assert page.status_code == 200
    assert "SIM card of this number was replaced" in text
    assert "Verify with eID" in text and "Verify with itsme" in text
    assert "/verify/shops" in text
    assert "+3225000000" in text  # customer service
    assert "http://localhost" in page["Content-Security-Policy"]


def test_verifying_with_the_eid_clears_the_hold(held: Sim, client: Client) -> None:
    callback = _at_provider(client, _to_provider(client), {"persona": "jan", "action": "approve"})
    text = _back_on_the_site(client, callback)
    assert "your identity is verified" in text
    assert "nothing to verify" in text
    assert not _is_held(held)
    record = held.identifications.get(verified_by="idp:simulator")
    assert record.method == "online_eid"
    assert record.document_type == "be_eid"
    assert record.national_register_number_masked
    assert record.evidence_reference.startswith("sim-jan idp_txn_")
    cleared = AuditEvent.objects.get(action="subscribers.line_holds_cleared")
    assert cleared.object_id == str(held.pk)
    assert cleared.actor_type == "subscriber"
    assert cleared.data["identification_record_id"] == record.pk


def test_verifying_with_itsme_records_a_certified_service(held: Sim, client: Client) -> None:
    authorize = _to_provider(client, "certified_service")
    callback = _at_provider(client, authorize, {"persona": "jan", "action": "approve"})
    _back_on_the_site(client, callback)
    assert held.identifications.get(verified_by="idp:simulator").method == "certified_service"
    assert not _is_held(held)


def test_refusing_at_the_provider_keeps_the_hold(held: Sim, client: Client) -> None:
    callback = _at_provider(client, _to_provider(client), {"action": "refuse"})
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    text = _back_on_the_site(client, callback)
    assert "cancelled at the identification service" in text
    assert _is_held(held)


def test_a_replayed_code_is_refused(held: Sim, client: Client) -> None:
    callback = _at_provider(client, _to_provider(client), {"persona": "jan", "action": "approve"})
    _back_on_the_site(client, callback)
    line_hold_open(
        sim=held, reason=HoldReason.DEVICE_CHANGE, details={}, actor=Actor.system("tests")
    )
    # The same answer again: no verification is under way any more.
    assert "does not belong to a verification" in _back_on_the_site(client, callback)
    # Even inside a fresh verification, the used code is not accepted a second time.
    state = parse_qs(urlsplit(_to_provider(client)).query)["state"][0]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    replay = "/verify/callback?" + urlencode({"code": code, "state": state})
    assert "expired or was already used" in _back_on_the_site(client, replay)
    assert _is_held(held)


def test_a_wrong_state_is_refused_and_the_code_left_unused(held: Sim, client: Client) -> None:
    callback = _at_provider(client, _to_provider(client), {"persona": "jan", "action": "approve"})
    code = parse_qs(urlsplit(callback).query)["code"][0]
    forged = "/verify/callback?" + urlencode({"code": code, "state": "attacker-state"})
    assert "does not belong to a verification" in _back_on_the_site(client, forged)
    assert _is_held(held)


def test_a_tampered_id_token_is_refused(
    held: Sim, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine = simulator_services.simulator_token_exchange

    def tampering_exchange(**arguments: str) -> str:
        """Someone on the way swaps the person in the token and keeps the provider's signature."""
        header, payload, signature = genuine(**arguments).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims.update(given_name="Jan", family_name="Peeters", sub="sim-someone-else")
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    monkeypatch.setattr(simulator_services, "simulator_token_exchange", tampering_exchange)
    callback = _at_provider(
        client, _to_provider(client), {"persona": "sophie", "action": "approve"}
    )
    assert "could not be verified" in _back_on_the_site(client, callback)
    assert _is_held(held)


def test_someone_elses_identity_keeps_the_hold(held: Sim, client: Client) -> None:
    callback = _at_provider(
        client, _to_provider(client), {"persona": "sophie", "action": "approve"}
    )
    text = _back_on_the_site(client, callback)
    assert "not the name registered for this line" in text
    assert _is_held(held)
    assert AuditEvent.objects.filter(action="identity.name_mismatch").exists()


def test_a_line_without_a_hold_has_nothing_to_verify(demo: None, client: Client) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _in_english(client)
    text = client.get("/verify").content.decode()
    assert "nothing to verify" in text
    assert "Verify with eID" not in text
    started = client.post("/verify/start", {"method": "online_eid"})
    assert started["Location"] == "/verify"


def test_the_shops_page_lists_shops_and_does_not_fake_a_booking(held: Sim, client: Client) -> None:
    page = client.get("/verify/shops")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Demo Mobile Brussel-Centraal" in text
    assert "Kantersteen 10, 1000 Brussel" in text
    assert "Mo-Sa 09:00-18:00" in text
    assert "Simplified Chinese" in text
    assert "cannot book a time for your visit online yet" in text


def test_the_pages_need_a_login(demo: None, client: Client) -> None:
    for path in ("/verify", "/verify/shops", "/verify/callback?code=x&state=y"):
        assert client.get(path)["Location"] == "/login"
