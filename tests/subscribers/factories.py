"""Test data made through the real services: brands, lines and valid document numbers."""

from __future__ import annotations

import datetime as dt
import itertools

from stdnum import luhn

from topup.audit.services import Actor
from topup.catalog.models import Brand, Operator, Shop, ShopKind
from topup.subscribers.models import (
    DocumentType,
    IdentificationMethod,
    IdentificationRecord,
    Sim,
    Subscriber,
)
from topup.subscribers.services import identification_record_create, sim_create, subscriber_create

_serial = itertools.count(1)
FAR_FUTURE = dt.date(2040, 12, 31)


def eid_card_number(base: int) -> str:
    """A Belgian eID card number: 10 digits and their remainder mod 97 (97 when it is 0)."""
    return f"{base:010d}{(base % 97) or 97:02d}"


def iccid(serial: int) -> str:
    body = f"8932{serial:014d}"
    return body + luhn.calc_check_digit(body)


def brand_create() -> Brand:
    operator = Operator.objects.create(
        name="Demo Mobile", legal_name="Demo Mobile NV", vat_number="BE0123456749", address="x"
    )
    return Brand.objects.create(
        operator=operator, code=f"demo{next(_serial)}", name="Demo", sms_sender_name="DemoMobile"
    )


def shop_create() -> Shop:
    return Shop.objects.create(
        code=f"shop-{next(_serial)}",
        name="Shop",
        kind=ShopKind.PARTNER,
        address="Kantersteen 10, 1000 Brussel",
        latitude="50.845500",
        longitude="4.357000",
    )


def line_create(*, brand: Brand, actor: Actor, msisdn: str | None = None) -> Sim:
    serial = next(_serial)
    subscriber = subscriber_create(
        first_name="Jan", last_name="Peeters", preferred_language="nl", actor=actor
    )
    return sim_create(
        msisdn=msisdn or f"+3247{serial:07d}",
        iccid=iccid(serial),
        brand=brand,
        subscriber=subscriber,
        actor=actor,
    )


def identify(
    *,
    sim: Sim,
    actor: Actor,
    document_number: str | None = None,
    subscriber: Subscriber | None = None,
    document_type: str = DocumentType.BE_EID,
    expires_on: dt.date | None = FAR_FUTURE,
    national_register_number: str | None = None,
) -> IdentificationRecord:
    owner = subscriber or sim.subscriber
    assert owner is not None
    return identification_record_create(
        sim=sim,
        subscriber=owner,
        method=IdentificationMethod.SHOP_DOCUMENT,
        document_type=document_type,
        issuing_country="BE",
        document_number=document_number or eid_card_number(5_911_917_064),
        national_register_number=national_register_number,
        document_expires_on=expires_on,
        verified_by="agent-7",
        evidence_reference="visual check of the original",
        shop=None,
        actor=actor,
    )
