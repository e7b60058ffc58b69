"""Identifying a customer at the counter with the original document; looking a customer up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from mrz.generator.td3 import TD3CodeGenerator

from tests.shops.conftest import AWAITING_IDENTIFICATION, IDENTIFIED, books_balance
from tests.subscribers.factories import eid_card_number
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.shops.models import StaffMembership
from topup.shops.services import shop_customer_lookup, shop_identify_customer
from topup.subscribers.errors import DocumentExpired, InvalidDocumentNumber
from topup.subscribers.models import (
    HoldReason,
    IdentificationMethod,
    IdentificationRecord,
    IdentificationStatus,
    SimStatus,
)
from topup.subscribers.selectors import sim_get_by_msisdn
from topup.subscribers.services import line_hold_open

pytestmark = pytest.mark.django_db

FAR = dt.date(2034, 5, 31)


def passport_mrz(number: str, expiry: dt.date) -> str:
    return str(
        TD3CodeGenerator(
            "P", "NLD", "De Vries", "Anna", number, "NLD", "900101", "F", f"{expiry:%y%m%d}"
        )
    )


def identify(
    membership: StaffMembership,
    *,
    msisdn: str = AWAITING_IDENTIFICATION,
    document_type: str = "be_eid",
    document_number: str = "",
    issuing_country: str = "BE",
    expires_on: dt.date | None = FAR,
) -> IdentificationRecord:
    return shop_identify_customer(
        membership=membership,
        msisdn=msisdn,
        document_type=document_type,
        document_number=document_number or eid_card_number(1_234_567_890),
        issuing_country=issuing_country,
        expires_on=expires_on,
        national_register_number=None,
    )


def test_an_agent_identifies_a_customer_and_the_line_is_activated(
    agent: StaffMembership,
) -> None:
    record = identify(agent)
    assert record.status == IdentificationStatus.ACCEPTED
    assert record.method == IdentificationMethod.SHOP_DOCUMENT
    assert record.shop == agent.shop
    assert record.verified_by == "agent.brussels"
    assert record.document_number_masked.endswith(eid_card_number(1_234_567_890)[-3:])
    assert sim_get_by_msisdn(msisdn=AWAITING_IDENTIFICATION).status == SimStatus.ACTIVE
    event = AuditEvent.objects.get(action="shops.customer_identified")
    assert event.reason and event.actor_id == str(agent.user_id)
    books_balance()


def test_a_number_with_a_wrong_check_digit_is_refused(agent: StaffMembership) -> None:
    number = eid_card_number(1_234_567_890)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidDocumentNumber):
        identify(agent, document_number=wrong)
    assert not IdentificationRecord.objects.filter(sim__msisdn=AWAITING_IDENTIFICATION).exists()
    assert (
        sim_get_by_msisdn(msisdn=AWAITING_IDENTIFICATION).status
        == SimStatus.AWAITING_IDENTIFICATION
    )


def test_a_passport_is_read_from_its_mrz(agent: StaffMembership) -> None:
    record = identify(
        agent,
        document_type="passport",
        document_number=passport_mrz("NX8K41P7", FAR),
        issuing_country="",
        expires_on=None,
    )
    assert (record.issuing_country, record.document_expires_on) == ("NLD", FAR)
    assert record.document_number_masked.endswith("1P7")


def test_an_mrz_with_a_changed_digit_is_refused(agent: StaffMembership) -> None:
    mrz = passport_mrz("NX8K41P7", FAR)
    tampered = mrz.replace("NX8K41P7", "NX8K41P8", 1)
    with pytest.raises(InvalidDocumentNumber):
        identify(agent, document_type="passport", document_number=tampered, expires_on=None)


def test_an_expired_document_is_refused(agent: StaffMembership) -> None:
    with pytest.raises(DocumentExpired):
        identify(agent, expires_on=dt.date(2020, 1, 1))
    with pytest.raises(DocumentExpired):
        identify(
            agent,
            document_type="passport",
            document_number=passport_mrz("NX8K41P7", dt.date(2021, 3, 1)),
            expires_on=None,
        )


def test_a_partner_shop_keeps_no_copy_of_the_document(partner: StaffMembership) -> None:
    mrz = passport_mrz("PQ7RT3X9", FAR)
    record = identify(partner, document_type="passport", document_number=mrz, expires_on=None)
    assert record.shop == partner.shop
    # The evidence is a reference to the original the agent saw, never the document itself.
    assert record.evidence_reference.startswith("original seen at partner shop antwerp-night")
    # Neither the number nor the MRZ (with name and birth date) is stored in clear anywhere.
    for text in ("PQ7RT3X9", "VRIES", "900101"):
        clear = [
            value
            for value in IdentificationRecord.objects.filter(pk=record.pk).values().get().values()
            if isinstance(value, str) and text in value
        ]
        assert clear == [], text
        assert not AuditEvent.objects.filter(Q(reason__contains=text)).exists()


def test_identifying_clears_the_holds_on_the_line(agent: StaffMembership) -> None:
    sim = sim_get_by_msisdn(msisdn=IDENTIFIED)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=Actor.system())
    assert [
        h.reason for h in shop_customer_lookup(membership=agent, msisdn=IDENTIFIED).open_holds
    ] == [HoldReason.SIM_SWAP]
    identify(agent, msisdn=IDENTIFIED, document_number=eid_card_number(2_222_222_222))
    assert shop_customer_lookup(membership=agent, msisdn=IDENTIFIED).open_holds == ()


def test_a_look_up_shows_masked_data_and_is_audited(agent: StaffMembership) -> None:
    customer = shop_customer_lookup(membership=agent, msisdn="0470 00 00 01")
    assert customer.msisdn == IDENTIFIED
    assert customer.identified and customer.sim_status == SimStatus.ACTIVE
    assert "*" in customer.masked_name
    assert customer.last_identification_method == IdentificationMethod.SHOP_DOCUMENT
    assert customer.last_document_number_masked.startswith("*")
    event = AuditEvent.objects.get(action="pii.view", object_type="subscribers.sim")
    assert event.data["shop"] == "bru-central"
    assert event.actor_type == "staff"


def test_an_unidentified_line_looks_unidentified(agent: StaffMembership) -> None:
    customer = shop_customer_lookup(membership=agent, msisdn=AWAITING_IDENTIFICATION)
    assert not customer.identified
    assert customer.last_document_number_masked == ""
