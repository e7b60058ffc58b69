"""Personal document numbers never reach the logs, whichever way a customer is identified.

Customers are identified at the shop counter (eID with a national register number, a passport
by its MRZ, with typing errors and an expired document on the way) and online through the
identity provider; the background worker then runs. Every log line written meanwhile, as the
production JSON formatter renders it and as it reaches stderr, is scanned for each number, in
its canonical and its typed forms.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import structlog
from django.test import Client
from mrz.generator.td3 import TD3CodeGenerator
from pytest_django.fixtures import Settings

from tests.security.conftest import AWAITING_IDENTIFICATION, IDENTIFIED_WITH_FIVE_EUROS
from tests.shop_console.conftest import AGENT, console_login
from tests.subscribers.factories import eid_card_number
from tests.web.conftest import web_login
from topup.audit.services import Actor
from topup.core.worker import worker_drain
from topup.identity.simulator.personas import persona_get
from topup.shops.services import shop_demo_setup
from topup.subscribers.models import HoldReason, Sim, SimStatus
from topup.subscribers.services import line_hold_open

pytestmark = pytest.mark.usefixtures("demo")

EID_NUMBER = eid_card_number(5_123_456_789)
MISTYPED_EID_NUMBER = EID_NUMBER[:-1] + str((int(EID_NUMBER[-1]) + 1) % 10)
PASSPORT_NUMBER = "XK7Q2M9P4"
PLANTED = "planted-marker-4711"


def _valid_national_register_number() -> str:
    """Born 17 February 1990, serial 123, and the mod-97 check."""
    base = 900217123
    return f"{base:09d}{97 - base % 97:02d}"


def _passport_mrz(number: str, expiry: dt.date) -> str:
    return str(
        TD3CodeGenerator(
            "P", "NLD", "De Vries", "Anna", number, "NLD", "900101", "F", f"{expiry:%y%m%d}"
        )
    )


class _Lines(logging.Handler):
    """Every record, rendered by the formatter of the configured console handler (JSON)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        formatters = [
            handler.formatter
            for handler in logging.getLogger().handlers
            if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
        ]
        assert formatters, "the JSON log formatter of settings.LOGGING is not installed"
        self.setFormatter(formatters[0])
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    root = logging.getLogger()
    handler = _Lines()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


def _identify_at_the_counter(settings: Settings, nn: str) -> None:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = False
    settings.TOPUP_SHOP_PRINTERS = {}
    shop_demo_setup()
    agent = Client()
    console_login(agent, *AGENT)
    agent.post("/shop/customer", {"msisdn": AWAITING_IDENTIFICATION})
    eid = {
        "msisdn": AWAITING_IDENTIFICATION,
        "document_type": "be_eid",
        "issuing_country": "BEL",
        "expires_on": "2032-05-31",
    }
    typed = f"{EID_NUMBER[:3]}-{EID_NUMBER[3:10]}-{EID_NUMBER[10:]}"
    mistyped = agent.post(
        "/shop/customer/identify",
        {**eid, "document_number": MISTYPED_EID_NUMBER, "national_register_number": nn},
    )
    assert mistyped.status_code == 422
    expired = agent.post(
        "/shop/customer/identify",
        {
            "msisdn": AWAITING_IDENTIFICATION,
            "document_type": "passport",
            "document_number": _passport_mrz(PASSPORT_NUMBER, dt.date(2026, 1, 31)),
        },
    )
    assert expired.status_code == 422
    identified = agent.post(
        "/shop/customer/identify",
        {**eid, "document_number": typed, "national_register_number": nn},
    )
    assert identified.status_code == 200, identified.content
    assert Sim.objects.get(msisdn=AWAITING_IDENTIFICATION).status == SimStatus.ACTIVE


def _identify_online(client: Client) -> None:
    sim = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=Actor.system("tests"))
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    started = client.post("/verify/start", {"method": "online_eid"})
    authorize = started["Location"]
    assert urlsplit(authorize).path == "/idp/authorize"
    client.get(authorize)
    answered = client.post(authorize, {"persona": "jan", "action": "approve"})
    assert answered.status_code == 303
    back = client.get(answered["Location"], follow=True)
    assert back.status_code == 200


def _forms(number: str) -> set[str]:
    """The number as stored and as people write it (groups of 3-4, dots, dashes)."""
    forms = {number}
    if number.isdigit() and len(number) == 12:
        forms.add(f"{number[:3]}-{number[3:10]}-{number[10:]}")
    if number.isdigit() and len(number) == 11:
        forms.add(f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}")
    return forms


def test_document_numbers_never_reach_the_logs(
    client: Client,
    settings: Settings,
    log_lines: list[str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    nn = _valid_national_register_number()
    structlog.get_logger("tests.security").warning("log_capture_check", marker=PLANTED)
    _identify_at_the_counter(settings, nn)
    _identify_online(client)
    worker_drain()

    jan = persona_get("jan")
    assert jan is not None
    secrets = [EID_NUMBER, MISTYPED_EID_NUMBER, nn, PASSPORT_NUMBER]
    secrets += [jan.eid_card_number, jan.national_register_number]
    captured = "\n".join(log_lines) + "\n" + capfd.readouterr().err
    # The capture works: the planted line and the refused identifications' warnings are there.
    assert PLANTED in captured
    assert "/shop/customer/identify" in captured
    leaked = sorted(form for secret in secrets for form in _forms(secret) if form in captured)
    assert leaked == [], f"document numbers in the logs: {leaked}"
