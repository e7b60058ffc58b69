"""The identity-provider port: what the platform needs from an eID / itsme provider.

A real adapter speaks OpenID Connect over HTTPS (authorization endpoint, token endpoint, id_token
verification); the simulator in `topup.identity.simulator` does the same in-process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

IdentityMethod = Literal["online_eid", "certified_service"]
IDENTITY_METHODS: tuple[IdentityMethod, ...] = ("online_eid", "certified_service")


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider vouches for, from an id_token whose signature, audience, nonce and expiry
    were checked."""

    method: IdentityMethod
    given_name: str
    family_name: str
    national_register_number: str
    document_type: str  # "be_eid" when the eID card was read, "" otherwise
    document_number: str
    subject: str  # the provider's stable, pseudonymous id of the person
    transaction_id: str  # the provider's id of this one verification
    issued_at: dt.datetime


class IdentityProvider(Protocol):
    name: str

    @property
    def origin(self) -> str:
        """The provider's web origin (scheme://host), which the pages may send the browser to."""
        ...

    def authorization_url(
        self, *, state: str, nonce: str, redirect_uri: str, method: IdentityMethod
    ) -> str:
        """Where to send the customer's browser to identify."""
        ...

    def exchange_code(self, *, code: str, redirect_uri: str, nonce: str) -> VerifiedIdentity:
        """Redeem the code from the redirect; raises IdentityVerificationFailed or
        IdentityProviderError."""
        ...
