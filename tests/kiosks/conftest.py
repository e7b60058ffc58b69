"""Fixtures for the kiosk fleet: the demo catalog, enrolled demo kiosks, and the books."""

from __future__ import annotations

import uuid

import pytest
from pytest_django.fixtures import Settings

from topup.catalog.models import Kiosk
from topup.cli.demo_data import demo_data_load
from topup.kiosks.models import KioskDevice, KioskSession
from topup.kiosks.services import (
    kiosk_device_authenticate,
    kiosk_device_enrol,
    kiosk_session_start,
    kiosks_demo_setup,
)
from topup.ledger.verify import ledger_verify
from topup.subscribers.models import Sim
from topup.topups.verify import topup_verify

IDENTIFIED = "+32470000001"  # € 5.00 on the line
IDENTIFIED_EMPTY = "+32470000002"  # € 0.00
AWAITING_IDENTIFICATION = "+32470000003"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000000000000002"
INSUFFICIENT_FUNDS_CARD = "4000000000009995"


def books_balance() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    assert demo_data_load()


@pytest.fixture
def credentials(demo: None) -> dict[str, str]:
    """kiosk code → the device credential its browser keeps."""
    return {
        kiosk.code: kiosk_device_enrol(enrolment_code=code) for kiosk, code in kiosks_demo_setup()
    }


@pytest.fixture
def midi(credentials: dict[str, str]) -> KioskDevice:
    return kiosk_device_authenticate(credential=credentials["kiosk-bru-midi"])


@pytest.fixture
def liege(credentials: dict[str, str]) -> KioskDevice:
    return kiosk_device_authenticate(credential=credentials["kiosk-liege"])


@pytest.fixture
def session(midi: KioskDevice) -> KioskSession:
    return kiosk_session_start(device=midi, language="fr")


@pytest.fixture
def customer_sim(demo: None) -> Sim:
    return Sim.objects.get(msisdn=IDENTIFIED)


@pytest.fixture
def midi_kiosk(demo: None) -> Kiosk:
    return Kiosk.objects.get(code="kiosk-bru-midi")
