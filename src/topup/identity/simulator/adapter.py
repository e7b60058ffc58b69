"""The simulator behind the identity-provider port. A real adapter has the same two calls: it
POSTs the code to the provider's token endpoint; this one calls the simulator in-process. Both
verify the id_token the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from urllib.parse import urlencode, urlsplit

import structlog
from django.conf import settings
from django.urls import reverse

from topup.core import clock
from topup.identity.errors import (
    IdentityProviderError,
    IdentityVerificationExpired,
    IdentityVerificationFailed,
)
from topup.identity.id_token import InvalidIdToken, id_token_verify
from topup.identity.ports import IdentityMethod, VerifiedIdentity
from topup.identity.simulator import services
from topup.identity.simulator.services import (
    ACR_BY_METHOD,
    SimulatorRequestInvalid,
    simulator_method_for_acr,
)

logger = structlog.get_logger(__name__)

SCOPE: Final = "openid profile"


class SimulatorIdentityProvider:
    name = "simulator"

    @property
    def origin(self) -> str:
        parts = urlsplit(settings.TOPUP_PUBLIC_URL)
        return f"{parts.scheme}://{parts.netloc}"

    def authorization_url(
        self, *, state: str, nonce: str, redirect_uri: str, method: IdentityMethod
    ) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": settings.TOPUP_IDP_CLIENT_ID,
                "redirect_uri": redirect_uri,
                "scope": SCOPE,
                "state": state,
                "nonce": nonce,
                "acr_values": ACR_BY_METHOD[method],
            }
        )
        return f"{settings.TOPUP_PUBLIC_URL}{reverse('idp:authorize')}?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str, nonce: str) -> VerifiedIdentity:
        try:
            token = services.simulator_token_exchange(
                client_id=settings.TOPUP_IDP_CLIENT_ID,
                client_secret=settings.TOPUP_IDP_CLIENT_SECRET,
                code=code,
                redirect_uri=redirect_uri,
            )
        except SimulatorRequestInvalid as error:
            if error.error == "invalid_grant":
                raise IdentityVerificationExpired(details={"reason": error.error}) from error
            logger.error("identity.token_endpoint_refused_client", error=error.error)
            raise IdentityProviderError(details={"reason": error.error}) from error
        return _identity_from_token(token=token, nonce=nonce)


def _identity_from_token(*, token: str, nonce: str) -> VerifiedIdentity:
    try:
        claims = id_token_verify(
            token=token,
            secret=settings.TOPUP_IDP_CLIENT_SECRET,
            issuer=services.simulator_issuer(),
            audience=settings.TOPUP_IDP_CLIENT_ID,
            nonce=nonce,
            now_unix=int(clock.now().timestamp()),
        )
    except InvalidIdToken as error:
        logger.warning("identity.id_token_refused", reason=error.reason)
        raise IdentityVerificationFailed(details={"reason": f"id_token_{error.reason}"}) from error
    method = simulator_method_for_acr(_text(claims, "acr"))
    issued_at = claims.get("iat")
    if method is None or not isinstance(issued_at, int):
        raise IdentityVerificationFailed(details={"reason": "id_token_claims"})
    return VerifiedIdentity(
        method=method,
        given_name=_text(claims, "given_name"),
        family_name=_text(claims, "family_name"),
        national_register_number=_text(claims, "national_register_number"),
        document_type=_text(claims, "document_type"),
        document_number=_text(claims, "document_number"),
        subject=_text(claims, "sub"),
        transaction_id=_text(claims, "txn"),
        issued_at=dt.datetime.fromtimestamp(issued_at, tz=dt.UTC),
    )


def _text(claims: dict[str, str | int], name: str) -> str:
    value = claims.get(name, "")
    return value if isinstance(value, str) else ""
