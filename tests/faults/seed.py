"""`python -m tests.faults.seed`: migrate DATABASE_URL and load the data the load generator uses.

The demo catalog, staff and shops, plus LOAD_LINES identified lines with no credit, each with a
document of its own (the "max lines per identity" policy stays in force).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Final

LOAD_LINE_COUNT: Final = 40
# +32 471 00 00 01 ...: far from the demo lines (+32 470 ...).
LOAD_LINES: Final = tuple(f"+324710{n:05d}" for n in range(1, LOAD_LINE_COUNT + 1))
# The first few lines are logged in on the website by the load generator, to open disputes.
DISPUTE_LINES: Final = LOAD_LINES[:3]
STAFF_CUSTOMER_SERVICE: Final = ("cs.demo", "demo-cs-2026")
STAFF_SHOP_AGENT: Final = ("agent.brussels", "demo-agent-2026")
STAFF_SHOP_MANAGER: Final = ("manager.brussels", "demo-manager-2026")


def eid_card_number(serial: int) -> str:
    """A Belgian eID card number with valid mod-97 check digits (10 digits, then 2)."""
    body = 600_000_000 + serial
    check = body % 97 or 97
    return f"{body:010d}{check:02d}"


def _iccid(serial: int) -> str:
    from stdnum import luhn

    body = f"893299{serial:012d}"
    return body + luhn.calc_check_digit(body)


def _load_lines() -> None:
    from topup.audit.services import Actor
    from topup.catalog.models import Brand, Shop
    from topup.subscribers.models import DocumentType, IdentificationMethod
    from topup.subscribers.services import (
        identification_record_create,
        sim_create,
        subscriber_create,
    )

    actor = Actor.system("faults-seed")
    brand = Brand.objects.get(code="demo")
    shop = Shop.objects.get(code="bru-central")
    for serial, msisdn in enumerate(LOAD_LINES, start=1):
        subscriber = subscriber_create(
            first_name="Load", last_name=f"Line {serial}", preferred_language="en", actor=actor
        )
        sim = sim_create(
            msisdn=msisdn, iccid=_iccid(serial), brand=brand, subscriber=subscriber, actor=actor
        )
        identification_record_create(
            sim=sim,
            subscriber=subscriber,
            method=IdentificationMethod.SHOP_DOCUMENT,
            document_type=DocumentType.BE_EID,
            issuing_country="BE",
            document_number=eid_card_number(serial),
            national_register_number=None,
            document_expires_on=dt.date(2031, 12, 31),
            verified_by="faults-seed",
            evidence_reference=f"faults-{serial}",
            shop=shop,
            actor=actor,
        )


def _limits_raised() -> None:
    """The load tops up the same 40 lines hundreds of times a minute: the operator's per-line
    daily and monthly limits (configuration, tested elsewhere) are raised so it is not refused."""
    from topup.catalog.models import Limit, LimitPeriod, LimitScope

    Limit.objects.filter(
        scope=LimitScope.SUBSCRIBER, period__in=(LimitPeriod.DAY, LimitPeriod.MONTH)
    ).update(max_amount_cents=100_000_000)


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "topup.config.settings")
    django.setup()
    from django.core.management import call_command

    from topup.cli.demo_data import demo_data_load
    from topup.shops.services import shop_demo_setup
    from topup.subscribers.models import Sim

    call_command("migrate", interactive=False, verbosity=0)
    demo_data_load()
    shop_demo_setup()
    if not Sim.objects.filter(msisdn=LOAD_LINES[0]).exists():
        _load_lines()
    _limits_raised()
    active = Sim.objects.filter(msisdn__in=LOAD_LINES, status="active").count()
    json.dump({"lines": len(LOAD_LINES), "active": active}, sys.stdout)


if __name__ == "__main__":
    main()
