"""The simulator playing the identity provider: checking the client, issuing codes, the token
endpoint. A real provider runs these on its own servers; here they run in-process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Final
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction

from topup.core import clock
from topup.identity.id_token import id_token_sign
from topup.identity.models import SimulatorAuthorizationCode
from topup.identity.ports import IDENTITY_METHODS, IdentityMethod
from topup.identity.simulator.personas import persona_get

CODE_TTL_S: Final = 60
ID_TOKEN_TTL_S: Final = 300
MAX_PARAMETER_LENGTH: Final = 500
ACR_BY_METHOD: Final[dict[IdentityMethod, str]] = {
    "online_eid": "urn:topup:idp:acr:eid",
    "certified_service": "urn:topup:idp:acr:itsme",
}


class SimulatorRequestInvalid(Exception):
    """An OAuth error the provider answers with; `error` is the OAuth error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def simulator_issuer() -> str:
    return f"{settings.TOPUP_PUBLIC_URL}/idp"


def simulator_method_for_acr(acr_values: str) -> IdentityMethod | None:
    for method, acr in ACR_BY_METHOD.items():
        if acr in acr_values.split():
            return method
    return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def simulator_client_check(*, client_id: str, redirect_uri: str) -> None:
    """Only the registered client, redirecting back to its own site (never an open redirect)."""
    if not hmac.compare_digest(client_id, settings.TOPUP_IDP_CLIENT_ID):
        raise SimulatorRequestInvalid("unauthorized_client")
    if len(redirect_uri) > MAX_PARAMETER_LENGTH or _origin(redirect_uri) != _origin(
        settings.TOPUP_PUBLIC_URL
    ):
        raise SimulatorRequestInvalid("invalid_redirect_uri")


def simulator_redirect_url(*, redirect_uri: str, params: dict[str, str]) -> str:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return f"{redirect_uri}{separator}{urlencode(params)}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def simulator_code_issue(
    *, client_id: str, redirect_uri: str, nonce: str, method: IdentityMethod, persona_key: str
) -> str:
    """The tester confirmed an identity: a fresh single-use code (only its hash is stored)."""
    simulator_client_check(client_id=client_id, redirect_uri=redirect_uri)
    if persona_get(persona_key) is None or method not in IDENTITY_METHODS:
        raise SimulatorRequestInvalid("invalid_request")
    if not nonce or len(nonce) > 128:
        raise SimulatorRequestInvalid("invalid_request")
    code = secrets.token_urlsafe(32)
    now = clock.now()
    SimulatorAuthorizationCode.objects.create(
        code_hash=_code_hash(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        nonce=nonce,
        method=method,
        persona=persona_key,
        transaction_id=f"idp_txn_{secrets.token_hex(12)}",
        created_at=now,
        expires_at=now + dt.timedelta(seconds=CODE_TTL_S),
    )
    return code


def _code_redeem(*, code: str, client_id: str, redirect_uri: str) -> SimulatorAuthorizationCode:
    """Mark the code used (even when the rest is wrong: a code is tried once) and check it."""
    if not code or len(code) > MAX_PARAMETER_LENGTH:
        raise SimulatorRequestInvalid("invalid_grant")
    now = clock.now()
    with transaction.atomic():
        stored = (
            SimulatorAuthorizationCode.objects.select_for_update()
            .filter(code_hash=_code_hash(code))
            .first()
        )
        if stored is None or stored.used_at is not None:
            raise SimulatorRequestInvalid("invalid_grant")
        stored.used_at = now
        stored.save(update_fields=["used_at"])
    if stored.expires_at <= now:
        raise SimulatorRequestInvalid("invalid_grant")
    if stored.client_id != client_id or stored.redirect_uri != redirect_uri:
        raise SimulatorRequestInvalid("invalid_grant")
    return stored


def simulator_token_exchange(
    *, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> str:
    """The token endpoint: a code for a signed id_token about the identity the tester chose."""
    if not hmac.compare_digest(client_id, settings.TOPUP_IDP_CLIENT_ID) or not hmac.compare_digest(
        client_secret, settings.TOPUP_IDP_CLIENT_SECRET
    ):
        raise SimulatorRequestInvalid("invalid_client")
    stored = _code_redeem(code=code, client_id=client_id, redirect_uri=redirect_uri)
    persona = persona_get(stored.persona)
    if persona is None:
        raise SimulatorRequestInvalid("invalid_grant")
    method: IdentityMethod = "certified_service"
    if stored.method == "online_eid":
        method = "online_eid"
    now_unix = int(clock.now().timestamp())
    claims: dict[str, str | int] = {
        "iss": simulator_issuer(),
        "aud": client_id,
        "sub": f"sim-{persona.key}",
        "nonce": stored.nonce,
        "iat": now_unix,
        "exp": now_unix + ID_TOKEN_TTL_S,
        "acr": ACR_BY_METHOD[method],
        "txn": stored.transaction_id,
        "given_name": persona.given_name,
        "family_name": persona.family_name,
        "national_register_number": persona.national_register_number,
    }
    if method == "online_eid":
        claims["document_type"] = "be_eid"
        claims["document_number"] = persona.eid_card_number
    return id_token_sign(claims=claims, secret=settings.TOPUP_IDP_CLIENT_SECRET)
