"""Identifying a line: activation, the SIMs-per-identity policy, expiry, personal data at rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings

from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.core.errors import ValidationFailed
from topup.subscribers.errors import (
    DocumentExpired,
    InvalidDocumentNumber,
    SubscriberNotIdentified,
)
from topup.subscribers.models import (
    DocumentType,
    IdentificationMethod,
    IdentificationRecord,
    IdentificationStatus,
    Sim,
    SimStatus,
)
from topup.subscribers.selectors import sim_topup_check
from topup.subscribers.services import (
    identification_document_number_reveal,
    identification_record_create,
)

from .factories import eid_card_number, identify, line_create

pytestmark = pytest.mark.django_db
CARD = eid_card_number(5_911_917_064)  # 591191706458


def test_identifying_with_a_valid_eid_activates_the_line(sim: Sim, system_actor: Actor) -> None:
    with pytest.raises(SubscriberNotIdentified):
        sim_topup_check(sim=sim)
    record = identify(sim=sim, actor=system_actor, document_number="591-1917064-58")
    sim.refresh_from_db()
    assert record.status == IdentificationStatus.ACCEPTED
    assert sim.status == SimStatus.ACTIVE
    assert record.document_number_masked == "*********458"
    assert record.issuing_country == "BEL"
    sim_topup_check(sim=sim)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"subscribers.identification_recorded", "subscribers.sim_status_changed"} <= actions


def test_a_mistyped_card_number_stores_nothing(sim: Sim, system_actor: Actor) -> None:
    with pytest.raises(InvalidDocumentNumber):
        identify(sim=sim, actor=system_actor, document_number="591191706459")
    sim.refresh_from_db()
    assert sim.status == SimStatus.AWAITING_IDENTIFICATION
    assert not IdentificationRecord.objects.exists()


def test_an_expired_document_is_refused_and_the_line_stays_inactive(
    sim: Sim, system_actor: Actor
) -> None:
    with pytest.raises(DocumentExpired):
        identify(sim=sim, actor=system_actor, expires_on=dt.date(2020, 1, 1))
    sim.refresh_from_db()
    assert sim.status == SimStatus.AWAITING_IDENTIFICATION
    assert not IdentificationRecord.objects.exists()


@override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=2)
def test_one_identity_over_the_sim_limit_is_an_anomaly_and_not_activated(
    brand: Brand, system_actor: Actor
) -> None:
    lines = [line_create(brand=brand, actor=system_actor) for _ in range(3)]
    records = [identify(sim=line, actor=system_actor, document_number=CARD) for line in lines]
    statuses = [Sim.objects.get(pk=line.pk).status for line in lines]
    assert [r.status for r in records] == ["accepted", "accepted", "anomaly"]
    assert statuses == [SimStatus.ACTIVE, SimStatus.ACTIVE, SimStatus.AWAITING_IDENTIFICATION]
    assert "max_sims_per_identity" in records[2].anomaly
    with pytest.raises(SubscriberNotIdentified):
        sim_topup_check(sim=lines[2])


@override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=1)
def test_the_limit_also_matches_the_national_register_number_on_another_document(
    brand: Brand, system_actor: Actor
) -> None:
    first, second = (line_create(brand=brand, actor=system_actor) for _ in range(2))
    identify(sim=first, actor=system_actor, national_register_number="85073003328")
    record = identify(
        sim=second,
        actor=system_actor,
        document_type=DocumentType.BE_FOREIGNER_CARD,
        document_number="B" + eid_card_number(1_234_567_890),
        national_register_number="85.07.30-033.28",
    )
    assert record.status == IdentificationStatus.ANOMALY


@override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=1)
def test_a_terminated_line_no_longer_counts_against_the_identity(
    brand: Brand, system_actor: Actor
) -> None:
    from topup.subscribers.services import sim_status_change

    first, second = (line_create(brand=brand, actor=system_actor) for _ in range(2))
    identify(sim=first, actor=system_actor)
    sim_status_change(sim=first, status=SimStatus.TERMINATED, reason="left", actor=system_actor)
    assert identify(sim=second, actor=system_actor).status == IdentificationStatus.ACCEPTED


def test_the_document_number_is_encrypted_at_rest(sim: Sim, system_actor: Actor) -> None:
    record = identify(sim=sim, actor=system_actor, national_register_number="85073003328")
    table = IdentificationRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [record.pk])  # noqa: S608
        row = " ".join(str(value) for value in cursor.fetchone())
    assert CARD not in row
    assert "85073003328" not in row
    assert record.document_number_encrypted
    assert record.national_register_number_masked == "********328"


def test_revealing_a_document_number_is_audited_as_a_look_at_personal_data(
    sim: Sim, system_actor: Actor
) -> None:
    record = identify(sim=sim, actor=system_actor)
    staff = Actor(actor_type="staff", actor_id="cs-42", ip_address="192.0.2.7")
    number = identification_document_number_reveal(
        record=record, actor=staff, reason="ticket 1234: customer disputes the identity"
    )
    assert number == CARD
    event = AuditEvent.objects.get(action="pii.view")
    assert (event.actor_id, event.object_id, event.ip_address) == (
        "cs-42",
        str(record.pk),
        "192.0.2.7",
    )
    assert event.reason.startswith("ticket 1234")
    assert CARD not in str(event.data)


def test_a_reveal_needs_a_reason(sim: Sim, system_actor: Actor) -> None:
    record = identify(sim=sim, actor=system_actor)
    with pytest.raises(ValidationFailed) as raised:
        identification_document_number_reveal(record=record, actor=system_actor, reason=" ")
    assert raised.value.details == {"field": "reason"}
    assert not AuditEvent.objects.filter(action="pii.view").exists()


def test_nothing_personal_reaches_the_audit_log(sim: Sim, system_actor: Actor) -> None:
    identify(sim=sim, actor=system_actor, national_register_number="85073003328")
    logged = " ".join(str(e.data) + e.reason for e in AuditEvent.objects.all())
    assert CARD not in logged
    assert "85073003328" not in logged


def test_a_certified_service_needs_evidence_but_no_document(sim: Sim, system_actor: Actor) -> None:
    assert sim.subscriber is not None
    arguments = {
        "sim": sim,
        "subscriber": sim.subscriber,
        "method": IdentificationMethod.CERTIFIED_SERVICE,
        "document_type": "",
        "issuing_country": "",
        "document_number": "",
        "national_register_number": None,
        "document_expires_on": None,
        "verified_by": "itsme",
        "shop": None,
        "actor": system_actor,
    }
    with pytest.raises(ValidationFailed) as raised:
        identification_record_create(**arguments, evidence_reference="")
    assert raised.value.details == {"field": "evidence_reference"}
    record = identification_record_create(**arguments, evidence_reference="itsme:tx:8f2c")
    assert record.status == IdentificationStatus.ACCEPTED
    assert record.document_number_encrypted == ""


def test_online_eid_identification_takes_only_the_belgian_eid(
    sim: Sim, system_actor: Actor
) -> None:
    assert sim.subscriber is not None
    with pytest.raises(ValidationFailed) as raised:
        identification_record_create(
            sim=sim,
            subscriber=sim.subscriber,
            method=IdentificationMethod.ONLINE_EID,
            document_type=DocumentType.PASSPORT,
            issuing_country="NLD",
            document_number="EH123456",
            national_register_number=None,
            document_expires_on=None,
            verified_by="eid-reader",
            evidence_reference="",
            shop=None,
            actor=system_actor,
        )
    assert raised.value.details == {"field": "document_type"}
