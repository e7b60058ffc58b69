"""Recording an identity confirmed online: it clears the holds, unless it is someone else."""

from __future__ import annotations

import datetime as dt

import pytest

from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.identity.errors import IdentityDoesNotMatch
from topup.identity.ports import IdentityMethod, VerifiedIdentity
from topup.identity.services import identity_names_match, identity_verification_record
from topup.identity.simulator.personas import persona_get
from topup.subscribers.models import (
    HoldReason,
    IdentificationMethod,
    IdentificationStatus,
    LineHold,
    Sim,
    SimStatus,
)
from topup.subscribers.services import line_hold_open, reidentification_request

ACTOR = Actor.system("tests")


def _identity(persona_key: str, method: IdentityMethod = "online_eid") -> VerifiedIdentity:
    persona = persona_get(persona_key)
    assert persona is not None
    is_eid = method == "online_eid"
    return VerifiedIdentity(
        method=method,
        given_name=persona.given_name,
        family_name=persona.family_name,
        national_register_number=persona.national_register_number,
        document_type="be_eid" if is_eid else "",
        document_number=persona.eid_card_number if is_eid else "",
        subject=f"sim-{persona.key}",
        transaction_id="idp_txn_test",
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("first", "last", "matches"),
    [
        ("Jan", "Peeters", True),
        ("JAN", "peeters", True),
        ("  Jan ", "Peeters ", True),
        ("Jan", "Peters", False),
        ("Peeters", "Jan", False),
        ("", "", False),
    ],
)
def test_names_match_ignoring_case_and_spaces(first: str, last: str, matches: bool) -> None:
    assert identity_names_match(identity=_identity("jan"), first_name=first, last_name=last) is (
        matches
    )


def test_the_registered_user_clears_every_hold_and_request(demo: None) -> None:
    sim = Sim.objects.get(msisdn="+32470000001")
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=ACTOR)
    reidentification_request(sim=sim, reason="periodic check", actor=ACTOR)
    record = identity_verification_record(
        sim=sim, identity=_identity("jan"), provider="simulator", actor=ACTOR
    )
    assert record.status == IdentificationStatus.ACCEPTED
    assert record.method == IdentificationMethod.ONLINE_EID
    assert record.verified_by == "idp:simulator"
    assert record.evidence_reference == "sim-jan idp_txn_test"
    assert record.shop is None
    assert record.national_register_number_masked
    assert not LineHold.objects.filter(sim=sim, cleared_at__isnull=True).exists()
    assert sim.reidentifications.get().resolved_by == record


def test_itsme_identifies_a_line_awaiting_identification(demo: None) -> None:
    sim = Sim.objects.get(msisdn="+32470000003")
    record = identity_verification_record(
        sim=sim, identity=_identity("marie", "certified_service"), provider="simulator", actor=ACTOR
    )
    assert record.method == IdentificationMethod.CERTIFIED_SERVICE
    sim.refresh_from_db()
    assert sim.status == SimStatus.ACTIVE


def test_someone_else_keeps_the_hold_and_is_audited_without_names(demo: None) -> None:
    sim = Sim.objects.get(msisdn="+32470000001")
    line_hold_open(sim=sim, reason=HoldReason.DEVICE_CHANGE, details={}, actor=ACTOR)
    with pytest.raises(IdentityDoesNotMatch) as refused:
        identity_verification_record(
            sim=sim, identity=_identity("sophie"), provider="simulator", actor=ACTOR
        )
    assert refused.value.http_status == 422
    assert LineHold.objects.filter(sim=sim, cleared_at__isnull=True).exists()
    assert not sim.identifications.filter(verified_by="idp:simulator").exists()
    event = AuditEvent.objects.get(action="identity.name_mismatch")
    assert event.object_id == str(sim.pk)
    assert event.data["subject"] == "sim-sophie"
    assert "Janssens" not in str(event.data) and "Janssens" not in event.reason
