"""The QR hand-off: signed, single use, valid 2 minutes, bound to one kiosk and one session."""

from __future__ import annotations

import pytest
from django.core import signing

from tests.support import FakeClock
from topup.audit.services import Actor
from topup.kiosks.errors import KioskHandoffExpired, KioskHandoffInvalid, KioskSessionNotFound
from topup.kiosks.models import KioskDevice, KioskIdentity, KioskSession
from topup.kiosks.services import (
    kiosk_device_revoke,
    kiosk_qr_handoff_confirm,
    kiosk_qr_handoff_create,
    kiosk_qr_handoff_inspect,
    kiosk_session_end,
    kiosk_session_get,
    kiosk_session_poll,
    kiosk_session_set_target,
    kiosk_session_start,
)
from topup.subscribers.models import Sim

PHONE = Actor(actor_type="subscriber", actor_id="phone")


def test_the_phone_confirms_and_the_kiosk_session_becomes_the_customers(
    midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    assert handoff.url == f"http://localhost/kiosk-handoff/{handoff.token}"
    assert kiosk_qr_handoff_inspect(token=handoff.token).code == "kiosk-bru-midi"
    assert kiosk_session_poll(device=midi, session_id=session.pk).identity == KioskIdentity.NONE

    kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)

    polled = kiosk_session_poll(device=midi, session_id=session.pk)
    assert polled.identity == KioskIdentity.QR
    assert polled.customer_sim_id == customer_sim.pk
    assert polled.target_msisdn == customer_sim.msisdn  # own number offered
    target = kiosk_session_set_target(device=midi, session_id=session.pk, msisdn="0470000001")
    assert target.own_number


def test_a_token_is_single_use(midi: KioskDevice, session: KioskSession, customer_sim: Sim) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)
    with pytest.raises(KioskHandoffInvalid):
        kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)


def test_a_token_expires_after_two_minutes(
    clock: FakeClock, midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    clock.advance(seconds=119)
    kiosk_qr_handoff_inspect(token=handoff.token)
    clock.advance(seconds=1)
    with pytest.raises(KioskHandoffExpired):
        kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)
    assert kiosk_session_poll(device=midi, session_id=session.pk).identity == KioskIdentity.NONE


def test_a_tampered_token_is_refused(
    midi: KioskDevice, liege: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    other = kiosk_session_start(device=liege, language="en")
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    # Re-point the payload at the other kiosk's session without the signing key: refused.
    payload = signing.loads(handoff.token, salt="topup.kiosks.qr_handoff")
    forged = signing.dumps({**payload, "k": liege.pk, "s": str(other.pk)}, salt="wrong-salt")
    with pytest.raises(KioskHandoffInvalid):
        kiosk_qr_handoff_confirm(token=forged, sim=customer_sim, actor=PHONE)
    flipped = handoff.token[:-2] + ("AA" if handoff.token[-2:] != "AA" else "BB")
    with pytest.raises(KioskHandoffInvalid):
        kiosk_qr_handoff_confirm(token=flipped, sim=customer_sim, actor=PHONE)
    with pytest.raises(KioskHandoffInvalid):
        kiosk_qr_handoff_confirm(token="not-a-token", sim=customer_sim, actor=PHONE)


def test_another_kiosk_never_sees_the_confirmed_session(
    midi: KioskDevice, liege: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    other = kiosk_session_start(device=liege, language="en")
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    with pytest.raises(KioskSessionNotFound):
        kiosk_qr_handoff_create(device=liege, session_id=session.pk)
    kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)
    assert kiosk_session_poll(device=liege, session_id=other.pk).identity == KioskIdentity.NONE
    with pytest.raises(KioskSessionNotFound):
        kiosk_session_poll(device=liege, session_id=session.pk)
    with pytest.raises(KioskSessionNotFound) as caught:
        kiosk_session_get(device=liege, session_id=session.pk)
    assert caught.value.http_status == 404


def test_a_token_of_a_previous_session_is_refused(
    midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    kiosk_session_end(device=midi, session_id=session.pk)
    kiosk_session_start(device=midi, language="en")
    with pytest.raises(KioskHandoffInvalid):
        kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)


def test_a_token_of_a_revoked_kiosk_is_refused(
    midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    kiosk_device_revoke(device=midi, actor=Actor(actor_type="staff", actor_id="1"))
    with pytest.raises(KioskHandoffInvalid):
        kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)


def test_ending_the_session_wipes_the_customer(
    midi: KioskDevice, session: KioskSession, customer_sim: Sim
) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    kiosk_qr_handoff_confirm(token=handoff.token, sim=customer_sim, actor=PHONE)
    kiosk_session_end(device=midi, session_id=session.pk)
    session.refresh_from_db()
    assert session.customer_sim_id is None
    assert session.target_msisdn == ""
    assert session.identity == ""
    kiosk_session_end(device=midi, session_id=session.pk)  # twice is fine
