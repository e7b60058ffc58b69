"""Identification online: which provider to use, and recording what it vouched for on a line."""

from __future__ import annotations

import unicodedata

from topup.audit.services import Actor, audit_record
from topup.identity.errors import IdentityDoesNotMatch, IdentityVerificationFailed
from topup.identity.ports import IdentityProvider, VerifiedIdentity
from topup.identity.simulator.adapter import SimulatorIdentityProvider
from topup.subscribers.models import DocumentType, IdentificationRecord, Sim
from topup.subscribers.services import identification_record_create


def identity_provider_get() -> IdentityProvider:
    """The configured provider. Only the simulator exists yet; a real eID / itsme adapter
    implements the same port and is chosen here."""
    return SimulatorIdentityProvider()


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def identity_names_match(*, identity: VerifiedIdentity, first_name: str, last_name: str) -> bool:
    """Same first and last name, ignoring case and extra spaces. Empty names never match."""
    given, family = _name_key(identity.given_name), _name_key(identity.family_name)
    return bool(given and family) and (given, family) == (
        _name_key(first_name),
        _name_key(last_name),
    )


def identity_verification_record(
    *, sim: Sim, identity: VerifiedIdentity, provider: str, actor: Actor
) -> IdentificationRecord:
    """Record a verified identity on the line, which clears its holds; a person other than the
    registered user is refused (and audited for customer service) and the line stays held."""
    if not identity.subject or not identity.transaction_id:
        raise IdentityVerificationFailed(details={"reason": "no_evidence"})
    subscriber = sim.subscriber
    if subscriber is None or not identity_names_match(
        identity=identity, first_name=subscriber.first_name, last_name=subscriber.last_name
    ):
        # No names in the audit log: the provider's pseudonymous subject identifies the attempt.
        audit_record(
            actor=actor,
            action="identity.name_mismatch",
            object_type="subscribers.sim",
            object_id=sim.pk,
            reason="the identity confirmed online is not the registered user",
            data={
                "provider": provider,
                "method": identity.method,
                "subject": identity.subject,
                "transaction_id": identity.transaction_id,
            },
        )
        raise IdentityDoesNotMatch()
    is_eid = identity.method == "online_eid"
    return identification_record_create(
        sim=sim,
        subscriber=subscriber,
        method=identity.method,
        document_type=DocumentType.BE_EID if is_eid else "",
        issuing_country="BE" if is_eid else "",
        document_number=identity.document_number if is_eid else "",
        national_register_number=identity.national_register_number or None,
        document_expires_on=None,
        verified_by=f"idp:{provider}",
        evidence_reference=f"{identity.subject} {identity.transaction_id}",
        shop=None,
        actor=actor,
    )
