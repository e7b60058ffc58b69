"""The identity provider simulator: its demo identities, its codes, its token endpoint."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from stdnum.be import nn

from topup.core import clock
from topup.identity.errors import (
    IdentityProviderError,
    IdentityVerificationExpired,
    IdentityVerificationFailed,
)
from topup.identity.models import SimulatorAuthorizationCode
from topup.identity.simulator import services
from topup.identity.simulator.adapter import SimulatorIdentityProvider
from topup.identity.simulator.personas import PERSONAS
from topup.identity.simulator.services import SimulatorRequestInvalid

from .conftest import CALLBACK

pytestmark = pytest.mark.django_db


def _code(persona: str = "jan", nonce: str = "nonce-1") -> str:
    return services.simulator_code_issue(
        client_id=settings.TOPUP_IDP_CLIENT_ID,
        redirect_uri=CALLBACK,
        nonce=nonce,
        method="online_eid",
        persona_key=persona,
    )


def test_the_demo_identities_carry_valid_national_register_numbers() -> None:
    for persona in PERSONAS:
        assert nn.is_valid(persona.national_register_number)
        assert nn.get_birth_date(persona.national_register_number) == persona.born_on


def test_a_code_is_stored_only_as_its_hash(public_url: str) -> None:
    code = _code()
    stored = SimulatorAuthorizationCode.objects.get()
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert code not in {stored.code_hash, stored.transaction_id, stored.nonce}


def test_the_adapter_exchanges_a_code_for_the_chosen_identity(public_url: str) -> None:
    identity = SimulatorIdentityProvider().exchange_code(
        code=_code("li", nonce="n-li"), redirect_uri=CALLBACK, nonce="n-li"
    )
    assert (identity.given_name, identity.family_name) == ("Li", "Wei")
    assert identity.method == "online_eid"
    assert identity.document_type == "be_eid"
    assert nn.is_valid(identity.national_register_number)
    assert identity.subject == "sim-li"
    assert identity.transaction_id.startswith("idp_txn_")


def test_a_code_works_once(public_url: str) -> None:
    provider = SimulatorIdentityProvider()
    code = _code()
    provider.exchange_code(code=code, redirect_uri=CALLBACK, nonce="nonce-1")
    with pytest.raises(IdentityVerificationExpired):
        provider.exchange_code(code=code, redirect_uri=CALLBACK, nonce="nonce-1")


def test_a_code_expires_after_60_seconds(public_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code = _code()
    later = clock.now() + dt.timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(IdentityVerificationExpired):
        SimulatorIdentityProvider().exchange_code(code=code, redirect_uri=CALLBACK, nonce="nonce-1")


def test_a_code_is_bound_to_its_redirect_uri(public_url: str) -> None:
    code = _code()
    with pytest.raises(SimulatorRequestInvalid):
        services.simulator_token_exchange(
            client_id=settings.TOPUP_IDP_CLIENT_ID,
            client_secret=settings.TOPUP_IDP_CLIENT_SECRET,
            code=code,
            redirect_uri="http://localhost/elsewhere",
        )


def test_a_code_is_bound_to_its_nonce(public_url: str) -> None:
    with pytest.raises(IdentityVerificationFailed):
        SimulatorIdentityProvider().exchange_code(
            code=_code(nonce="nonce-1"), redirect_uri=CALLBACK, nonce="another-nonce"
        )


def test_the_token_endpoint_refuses_a_wrong_client_secret(public_url: str) -> None:
    with pytest.raises(SimulatorRequestInvalid) as refused:
        services.simulator_token_exchange(
            client_id=settings.TOPUP_IDP_CLIENT_ID,
            client_secret="guessed",
            code=_code(),
            redirect_uri=CALLBACK,
        )
    assert refused.value.error == "invalid_client"


def test_a_refused_client_is_a_provider_error_not_the_customers(
    public_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse_client(**_arguments: str) -> str:
        raise SimulatorRequestInvalid("invalid_client")  # e.g. the secret rotated at one end

    monkeypatch.setattr(services, "simulator_token_exchange", refuse_client)
    with pytest.raises(IdentityProviderError):
        SimulatorIdentityProvider().exchange_code(code=_code(), redirect_uri=CALLBACK, nonce="n")


def test_the_page_never_redirects_to_an_unregistered_address(
    client: Client, public_url: str
) -> None:
    url = SimulatorIdentityProvider().authorization_url(
        state="s", nonce="n", redirect_uri="https://evil.example/steal", method="online_eid"
    )
    page = client.get(url)
    assert page.status_code == 400
    assert "not registered" in page.content.decode()
    assert client.post(url, {"persona": "jan", "action": "approve"}).status_code == 400
    assert not SimulatorAuthorizationCode.objects.exists()


def test_the_page_shows_the_demo_identities_and_answers_with_a_code(
    client: Client, public_url: str
) -> None:
    url = SimulatorIdentityProvider().authorization_url(
        state="state-1", nonce="n", redirect_uri=CALLBACK, method="certified_service"
    )
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Identity provider simulator — test mode" in text
    assert "Marie Dubois" in text
    assert "itsme" in text
    answer = client.post(url, {"persona": "marie", "action": "approve"})
    assert answer.status_code == 303
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["state-1"]
    assert len(query["code"][0]) >= 32


def test_refusing_answers_access_denied(client: Client, public_url: str) -> None:
    url = SimulatorIdentityProvider().authorization_url(
        state="state-1", nonce="n", redirect_uri=CALLBACK, method="online_eid"
    )
    answer = client.post(url, {"action": "refuse"})
    assert parse_qs(urlsplit(answer["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["state-1"],
    }


def test_confirming_without_choosing_an_identity_asks_again(
    client: Client, public_url: str
) -> None:
    url = SimulatorIdentityProvider().authorization_url(
        state="s", nonce="n", redirect_uri=CALLBACK, method="online_eid"
    )
    page = client.post(url, {"action": "approve"})
    assert page.status_code == 200
    assert "Choose the identity to confirm" in page.content.decode()
    assert 'aria-describedby="persona-error"' in page.content.decode()
