"""Device registration, enrolment, authentication, revocation, heartbeats and the stale sweep."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.kiosks.conftest import GOOD_CARD
from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.catalog.models import Kiosk
from topup.kiosks.errors import (
    KioskCredentialInvalid,
    KioskEnrolmentInvalid,
    KioskOutOfService,
    KioskRevoked,
    KioskSessionNotFound,
)
from topup.kiosks.models import KioskDevice, KioskStatus
from topup.kiosks.selectors import kiosk_device_for
from topup.kiosks.services import (
    KIOSK_HEARTBEAT_STALE_S,
    kiosk_device_authenticate,
    kiosk_device_enrol,
    kiosk_device_register,
    kiosk_device_revoke,
    kiosk_heartbeat,
    kiosk_session_card_insert,
    kiosk_session_get,
    kiosk_session_start,
    kiosk_sweep_stale,
)
from topup.kiosks.tasks import kiosk_sweep

OPERATOR = Actor(actor_type="staff", actor_id="1")


def test_enrolment_code_is_single_use_and_stored_hashed(midi_kiosk: Kiosk) -> None:
    device, code = kiosk_device_register(kiosk=midi_kiosk, actor=OPERATOR)
    assert code not in device.enrolment_code_hash
    credential = kiosk_device_enrol(enrolment_code=code)
    assert kiosk_device_authenticate(credential=credential) == device
    device.refresh_from_db()
    assert credential.split(".")[1] not in device.credential_hash
    with pytest.raises(KioskEnrolmentInvalid):
        kiosk_device_enrol(enrolment_code=code)


def test_enrolment_code_expires_after_a_day(clock: FakeClock, midi_kiosk: Kiosk) -> None:
    _device, code = kiosk_device_register(kiosk=midi_kiosk, actor=OPERATOR)
    clock.advance(seconds=24 * 3600)
    with pytest.raises(KioskEnrolmentInvalid):
        kiosk_device_enrol(enrolment_code=code)


def test_a_new_enrolment_code_voids_the_previous_one(midi_kiosk: Kiosk) -> None:
    _device, first = kiosk_device_register(kiosk=midi_kiosk, actor=OPERATOR)
    kiosk_device_register(kiosk=midi_kiosk, actor=OPERATOR)
    with pytest.raises(KioskEnrolmentInvalid):
        kiosk_device_enrol(enrolment_code=first)


@pytest.mark.parametrize("credential", ["", "garbage", "abc.def", "x" * 500, "."])
def test_unknown_or_garbled_credential_is_401(credentials: dict[str, str], credential: str) -> None:
    with pytest.raises(KioskCredentialInvalid) as caught:
        kiosk_device_authenticate(credential=credential)
    assert caught.value.http_status == 401


def test_a_wrong_secret_for_a_known_id_is_401(credentials: dict[str, str]) -> None:
    credential_id = credentials["kiosk-bru-midi"].split(".")[0]
    with pytest.raises(KioskCredentialInvalid):
        kiosk_device_authenticate(credential=f"{credential_id}.not-the-secret")


def test_revoked_kiosk_is_refused_at_once_and_its_sessions_wiped(
    credentials: dict[str, str], midi: KioskDevice
) -> None:
    session = kiosk_session_start(device=midi, language="en")
    kiosk_session_card_insert(device=midi, session_id=session.pk, card_number=GOOD_CARD)
    kiosk_device_revoke(device=midi, actor=OPERATOR)
    with pytest.raises(KioskRevoked) as caught:
        kiosk_device_authenticate(credential=credentials["kiosk-bru-midi"])
    assert caught.value.http_status == 403
    session.refresh_from_db()
    assert session.ended_at is not None
    assert (session.card_token, session.card_masked, session.identity) == ("", "", "")
    with pytest.raises(KioskSessionNotFound):
        kiosk_session_get(device=midi, session_id=session.pk)
    with pytest.raises(KioskRevoked):
        kiosk_session_start(device=midi, language="en")
    assert AuditEvent.objects.filter(action="kiosks.device_revoked").exists()
    # The other kiosk goes on.
    kiosk_device_authenticate(credential=credentials["kiosk-liege"])


def test_re_enrolment_after_revoke_gives_a_new_credential(
    credentials: dict[str, str], midi: KioskDevice, midi_kiosk: Kiosk
) -> None:
    kiosk_device_revoke(device=midi, actor=OPERATOR)
    _device, code = kiosk_device_register(kiosk=midi_kiosk, actor=OPERATOR)
    fresh = kiosk_device_enrol(enrolment_code=code)
    assert kiosk_device_authenticate(credential=fresh).pk == midi.pk
    with pytest.raises(KioskCredentialInvalid):
        kiosk_device_authenticate(credential=credentials["kiosk-bru-midi"])


def test_heartbeat_reports_printer_out_of_paper_and_back(midi: KioskDevice) -> None:
    changes = AuditEvent.objects.filter(action="kiosks.status_changed", object_id="kiosk-bru-midi")
    before = changes.count()
    device = kiosk_heartbeat(device=midi, printer_status="out_of_paper", software_version="1.2")
    assert device.status == KioskStatus.OUT_OF_PAPER
    assert device.software_version == "1.2"
    device = kiosk_heartbeat(device=midi, printer_status="ok", software_version="1.2")
    assert device.status == KioskStatus.IN_SERVICE
    assert changes.count() == before + 2
    kiosk_heartbeat(device=midi, printer_status="ok", software_version="1.2")
    assert changes.count() == before + 2  # a plain heartbeat is not a change


def test_stale_kiosk_goes_out_of_service_and_stops_selling(
    clock: FakeClock, midi: KioskDevice, liege: KioskDevice
) -> None:
    clock.advance(seconds=KIOSK_HEARTBEAT_STALE_S - 10)
    kiosk_heartbeat(device=liege, printer_status="ok", software_version="1")
    assert kiosk_sweep_stale() == 0
    clock.advance(seconds=11)
    assert kiosk_sweep_stale() == 1
    midi.refresh_from_db()
    liege.refresh_from_db()
    assert midi.status == KioskStatus.OUT_OF_SERVICE
    assert liege.status == KioskStatus.IN_SERVICE
    with pytest.raises(KioskOutOfService):
        kiosk_session_start(device=midi, language="en")
    # It comes back with its next heartbeat.
    kiosk_heartbeat(device=midi, printer_status="ok", software_version="1")
    kiosk_session_start(device=midi, language="en")


def test_the_sweep_task_runs_through_the_worker(
    clock: FakeClock, midi: KioskDevice, drain_worker: Callable[..., int]
) -> None:
    session = kiosk_session_start(device=midi, language="en")
    clock.advance(seconds=3600)
    kiosk_sweep.enqueue()
    assert drain_worker() >= 1
    midi.refresh_from_db()
    assert midi.status == KioskStatus.OUT_OF_SERVICE
    session.refresh_from_db()
    assert session.ended_at is not None


def test_device_for_a_kiosk(midi: KioskDevice, midi_kiosk: Kiosk) -> None:
    assert kiosk_device_for(kiosk=midi_kiosk) == midi
    other = Kiosk.objects.create(
        code="kiosk-new", name="New", address="-", latitude=50, longitude=4
    )
    assert kiosk_device_for(kiosk=other) is None
