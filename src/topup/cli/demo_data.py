"""Demo data: one operator with its catalog, shops, kiosks, staff and three subscribers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from stdnum import luhn

from topup.audit.services import Actor
from topup.catalog.models import (
    Brand,
    Channel,
    ChannelCode,
    ChannelPaymentMethod,
    Denomination,
    Kiosk,
    Limit,
    LimitPeriod,
    LimitScope,
    Operator,
    PaymentMethod,
    PaymentMethodCode,
    Plan,
    Shop,
    ShopKind,
)
from topup.ledger.services import ledger_system_account, ledger_transfer
from topup.subscribers.models import DocumentType, IdentificationMethod, Sim
from topup.subscribers.services import (
    identification_record_create,
    sim_create,
    subscriber_create,
)

DEMO_STAFF = (
    # username, password, group, superuser
    ("admin", "demo-admin-2026", "operations", True),
    ("agent.brussels", "demo-agent-2026", "shop_agent", False),
    # One back-office user per role (/backoffice/); two in customer service for four eyes.
    ("cs.demo", "demo-cs-2026", "customer_service", False),
    ("cs.lead", "demo-cslead-2026", "customer_service", False),
    ("compliance.demo", "demo-compliance-2026", "compliance", False),
    ("finance.demo", "demo-finance-2026", "finance", False),
    ("ops.demo", "demo-ops-2026", "operations", False),
)

_CHANNEL_METHODS = {
    ChannelCode.ONLINE: ["card", "bancontact", "alipay", "wechat_pay"],
    ChannelCode.SHOP: ["cash", "card"],
    ChannelCode.KIOSK: ["card", "bancontact"],
}
_DENOMINATIONS_EUR = [5, 10, 15, 20, 25, 50]


@dataclass(frozen=True)
class DemoSubscriber:
    msisdn: str
    first_name: str
    last_name: str
    language: str
    opening_cents: int
    identified: bool
    eid_card_number: str


DEMO_SUBSCRIBERS = (
    DemoSubscriber("+32470000001", "Jan", "Peeters", "nl", 500, True, "591191706458"),
    DemoSubscriber("+32470000002", "Li", "Wei", "zh-hans", 0, True, "000001103271"),
    DemoSubscriber("+32470000003", "Marie", "Dubois", "fr", 0, False, ""),
)


def _iccid(serial: int) -> str:
    body = f"893200{serial:012d}"
    return body + luhn.calc_check_digit(body)


def _catalog() -> Brand:
    operator = Operator.objects.create(
        name="Topup Demo Mobile",
        legal_name="Topup Demo Mobile NV",
        vat_number="BE0123456749",
        address="Koningsstraat 1, 1000 Brussel",
        support_phone="+3225000000",
        support_url="https://support.example.invalid",
    )
    brand = Brand.objects.create(
        operator=operator, code="demo", name="Demo Mobile", sms_sender_name="DemoMobile"
    )
    for code in PaymentMethodCode.values:
        PaymentMethod.objects.create(
            code=code,
            provider="cash" if code == "cash" else "simulator",
            recurring_capable=code in ("card", "sepa_direct_debit"),
        )
    for channel_code, methods in _CHANNEL_METHODS.items():
        channel = Channel.objects.create(
            code=channel_code,
            min_amount_cents=500,
            max_amount_cents=15000,
            free_amount_allowed=channel_code != ChannelCode.KIOSK,
        )
        for order, method in enumerate(methods):
            ChannelPaymentMethod.objects.create(
                channel=channel,
                payment_method=PaymentMethod.objects.get(code=method),
                sort_order=order,
            )
        for order, euros in enumerate(_DENOMINATIONS_EUR):
            Denomination.objects.create(channel=channel, amount_cents=euros * 100, sort_order=order)
    online = Channel.objects.get(code=ChannelCode.ONLINE)
    Limit.objects.create(
        channel=online,
        scope=LimitScope.SUBSCRIBER,
        period=LimitPeriod.TRANSACTION,
        max_amount_cents=15000,
    )
    Limit.objects.create(
        channel=None, scope=LimitScope.SUBSCRIBER, period=LimitPeriod.DAY, max_amount_cents=25000
    )
    Limit.objects.create(
        channel=None, scope=LimitScope.SUBSCRIBER, period=LimitPeriod.MONTH, max_amount_cents=50000
    )
    Limit.objects.create(
        channel=None,
        scope=LimitScope.PAYMENT_INSTRUMENT,
        period=LimitPeriod.DAY,
        max_amount_cents=30000,
    )
    for code, name, price, data_mb, minutes in (
        ("smart-10", "Smart 10", 1000, 5120, 100),
        ("smart-15", "Smart 15", 1500, 15360, 300),
        ("unlimited-25", "Unlimited 25", 2500, 51200, 10000),
    ):
        Plan.objects.create(
            brand=brand,
            code=code,
            name=name,
            price_cents=price,
            data_mb=data_mb,
            voice_minutes=minutes,
            sms_count=1000,
        )
    Shop.objects.create(
        code="bru-central",
        name="Demo Mobile Brussel-Centraal",
        kind=ShopKind.OPERATOR,
        address="Kantersteen 10, 1000 Brussel",
        latitude=Decimal("50.845500"),
        longitude=Decimal("4.357000"),
        opening_hours="Mo-Sa 09:00-18:00",
        languages="nl,fr,en,zh-hans",
    )
    Shop.objects.create(
        code="antwerp-night",
        name="Nachtwinkel De Keyser (partner)",
        kind=ShopKind.PARTNER,
        address="De Keyserlei 20, 2018 Antwerpen",
        latitude=Decimal("51.217700"),
        longitude=Decimal("4.418500"),
        opening_hours="Mo-Su 08:00-23:00",
        languages="nl,en",
    )
    Kiosk.objects.create(
        code="kiosk-bru-midi",
        name="Brussel-Zuid station",
        address="Fonsnylaan 47, 1060 Sint-Gillis",
        latitude=Decimal("50.835600"),
        longitude=Decimal("4.336000"),
    )
    Kiosk.objects.create(
        code="kiosk-liege",
        name="Liège-Guillemins station",
        address="Place des Guillemins 2, 4000 Liège",
        latitude=Decimal("50.624300"),
        longitude=Decimal("5.566700"),
    )
    return brand


def _staff() -> None:
    for username, password, group_name, superuser in DEMO_STAFF:
        group, _ = Group.objects.get_or_create(name=group_name)
        # Only the administrator uses the admin site; staff have the back office and the console.
        user = User.objects.create_user(
            username=username, password=password, is_staff=superuser, is_superuser=superuser
        )
        user.groups.add(group)


def _subscribers(brand: Brand, actor: Actor) -> None:
    shop = Shop.objects.get(code="bru-central")
    equity = ledger_system_account(name="equity")
    for serial, demo in enumerate(DEMO_SUBSCRIBERS, start=1):
        subscriber = subscriber_create(
            first_name=demo.first_name,
            last_name=demo.last_name,
            preferred_language=demo.language,
            actor=actor,
        )
        sim = sim_create(
            msisdn=demo.msisdn,
            iccid=_iccid(serial),
            brand=brand,
            subscriber=subscriber,
            actor=actor,
        )
        if demo.identified:
            identification_record_create(
                sim=sim,
                subscriber=subscriber,
                method=IdentificationMethod.SHOP_DOCUMENT,
                document_type=DocumentType.BE_EID,
                issuing_country="BE",
                document_number=demo.eid_card_number,
                national_register_number=None,
                document_expires_on=dt.date(2031, 12, 31),
                verified_by="demo-loader",
                evidence_reference=f"demo-{serial}",
                shop=shop,
                actor=actor,
            )
        if demo.opening_cents:
            sim = Sim.objects.select_related("paid_account").get(pk=sim.pk)
            ledger_transfer(
                idempotency_key=f"demo:opening:{demo.msisdn}",
                debit=equity,
                credit=sim.paid_account,
                amount_cents=demo.opening_cents,
                reason_code="opening_balance",
                actor=actor,
                memo="demo opening balance",
            )


def demo_data_load() -> bool:
    """Load the demo data once; False when it is already there."""
    if Operator.objects.exists():
        return False
    actor = Actor.system("demo-loader")
    with transaction.atomic():
        brand = _catalog()
        _staff()
        _subscribers(brand, actor)
    return True
