"""The one writer of the kiosk fleet: devices, credentials, heartbeats, sessions and kiosk sales.

A kiosk acts as itself: `Actor(actor_type="kiosk", actor_id=<kiosk code>)`. Every service that
takes a session takes the device too and finds the session only among that device's own, so a
kiosk can never read or change another kiosk's session. Nothing personal stays in a session
once it ends (`kiosk_session_end` wipes it, and the sweep wipes abandoned ones).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Final

import structlog
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from topup.audit.services import Actor, audit_record
from topup.catalog.models import Channel, Kiosk
from topup.catalog.selectors import channel_get
from topup.core import clock
from topup.core.errors import ApplicationError, NotFound
from topup.kiosks import card_reader
from topup.kiosks.errors import (
    KioskCardDeclined,
    KioskCardRequired,
    KioskCardUnreadable,
    KioskCredentialInvalid,
    KioskEnrolmentInvalid,
    KioskHandoffExpired,
    KioskHandoffInvalid,
    KioskIdentityRequired,
    KioskOrderNotFound,
    KioskOutOfService,
    KioskRevoked,
    KioskSessionNotFound,
    KioskStepMissing,
    KioskTerminalError,
)
from topup.kiosks.models import (
    KioskDevice,
    KioskHandoff,
    KioskIdentity,
    KioskSession,
    KioskStatus,
)
from topup.ledger.services import ledger_provider_clearing_account
from topup.payments.terminal.port import TERMINAL_PROVIDER, TerminalCharge, TerminalOutcome
from topup.receipts import printers
from topup.receipts.errors import PrinterUnavailable
from topup.subscribers.models import Sim
from topup.subscribers.selectors import sim_get_by_msisdn, sim_masked_name, sim_topup_check
from topup.topups.limits import topup_amount_check
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import (
    TopupRequest,
    topup_order_create,
    topup_order_reconcile,
    topup_order_settle_at_counter,
    topup_receipt_build,
)

logger = structlog.get_logger(__name__)

KIOSK_CHANNEL: Final = "kiosk"
KIOSK_HEARTBEAT_STALE_S: Final = 180  # no heartbeat for this long: out of service, off the finder
KIOSK_ENROLMENT_TTL_S: Final = 24 * 3600
KIOSK_HANDOFF_TTL_S: Final = 120
KIOSK_SESSION_IDLE_S: Final = 10 * 60  # a session untouched this long is wiped by the sweep
KIOSK_RECEIPT_LINK_TTL_S: Final = 30 * 24 * 3600  # the on-screen QR code to the online receipt
MAX_SWEEP_BATCH: Final = 500
MAX_VERSION_LENGTH: Final = 40
DEFAULT_PRINTER_URL: Final = "dummy:"
PRINTER_STATUSES: Final = frozenset({"ok", "out_of_paper", "offline"})

_CREDENTIAL_SALT: Final = "topup.kiosks.credential"
_HEX_DIGITS: Final = frozenset("0123456789abcdef")
_ENROLMENT_SALT: Final = "topup.kiosks.enrolment"
_HANDOFF_SALT: Final = "topup.kiosks.qr_handoff"
_RECEIPT_SALT: Final = "topup.kiosks.receipt_link"
_DUMMY_HASH: Final = "0" * 64


@dataclass(frozen=True)
class KioskTarget:
    """The number to top up, confirmed with the masked name on record before paying."""

    msisdn: str
    masked_name: str
    own_number: bool  # the logged-in customer's own line (QR identity)


@dataclass(frozen=True)
class QrHandoff:
    token: str
    url: str  # what the QR code on the kiosk screen carries
    expires_at: dt.datetime


@dataclass(frozen=True)
class KioskPrintOutcome:
    printed: bool
    reason: str  # "out_of_paper", "offline" or ""
    receipt_url: str  # for the QR code on screen when the paper receipt could not be printed


# --- devices and credentials ---------------------------------------------------------------


def _device_actor(device: KioskDevice) -> Actor:
    return Actor(actor_type="kiosk", actor_id=device.kiosk.code)


def _hash(salt: str, secret: str) -> str:
    return salted_hmac(salt, secret, algorithm="sha256").hexdigest()


def _audit(device: KioskDevice, actor: Actor, action: str, **data: str | int | None) -> None:
    audit_record(
        actor=actor,
        action=f"kiosks.{action}",
        object_type="kiosks.device",
        object_id=device.kiosk.code,
        data=dict(data),
    )


def kiosk_device_register(*, kiosk: Kiosk, actor: Actor) -> tuple[KioskDevice, str]:
    """The device of a catalog kiosk and a fresh one-time enrolment code (shown once, 24 h).

    Registering again issues a new code and voids the previous one; a device's current
    credential keeps working until a new enrolment replaces it or the device is revoked.
    """
    code = secrets.token_urlsafe(18)
    now = clock.now()
    with transaction.atomic():
        device, created = KioskDevice.objects.select_for_update().get_or_create(
            kiosk=kiosk, defaults={"registered_at": now}
        )
        device.enrolment_code_hash = _hash(_ENROLMENT_SALT, code)
        device.enrolment_expires_at = now + dt.timedelta(seconds=KIOSK_ENROLMENT_TTL_S)
        device.save(update_fields=["enrolment_code_hash", "enrolment_expires_at"])
        _audit(device, actor, "device_registered" if created else "enrolment_reissued")
    return device, code


def kiosk_device_enrol(*, enrolment_code: str) -> str:
    """Turn the browser holding this code into the kiosk: single use; returns its credential.

    The credential is `<id>.<secret>`: the id finds the device, the secret is stored only as
    a hash and compared in constant time.
    """
    if not enrolment_code or len(enrolment_code) > 64:
        raise KioskEnrolmentInvalid()
    code_hash = _hash(_ENROLMENT_SALT, enrolment_code)
    credential_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        device = (
            KioskDevice.objects.select_for_update()
            .select_related("kiosk")
            .filter(enrolment_code_hash=code_hash)
            .first()
        )
        if device is None or device.enrolment_expires_at is None:
            raise KioskEnrolmentInvalid()
        if device.enrolment_expires_at <= now:
            raise KioskEnrolmentInvalid()
        device.enrolment_code_hash = ""
        device.enrolment_expires_at = None
        device.credential_id = credential_id
        device.credential_hash = _hash(_CREDENTIAL_SALT, secret)
        device.enrolled_at = now
        device.revoked_at = None
        device.save()
        _audit(device, Actor(actor_type="kiosk", actor_id=device.kiosk.code), "device_enrolled")
    return f"{credential_id}.{secret}"


def kiosk_device_authenticate(*, credential: str) -> KioskDevice:
    """The device this credential belongs to: 401 when unknown or garbled, 403 when revoked."""
    credential_id, _dot, secret = (credential or "").partition(".")
    if not credential_id or not secret or len(credential) > 128:
        raise KioskCredentialInvalid()
    # Ids are hex (token_hex): anything else is no id, and a NUL byte would make PostgreSQL fail.
    if not all(character in _HEX_DIGITS for character in credential_id):
        raise KioskCredentialInvalid()
    device = KioskDevice.objects.select_related("kiosk").filter(credential_id=credential_id).first()
    # Compare even when the id is unknown, so the answer takes the same time either way.
    stored = device.credential_hash if device is not None and device.credential_hash else None
    matches = constant_time_compare(_hash(_CREDENTIAL_SALT, secret), stored or _DUMMY_HASH)
    if device is None or stored is None or not matches:
        raise KioskCredentialInvalid()
    if device.revoked_at is not None:
        raise KioskRevoked()
    return device


def kiosk_device_revoke(*, device: KioskDevice, actor: Actor) -> None:
    """Cut the kiosk off now: its credential is refused, its open sessions are wiped."""
    now = clock.now()
    with transaction.atomic():
        locked = KioskDevice.objects.select_for_update().select_related("kiosk").get(pk=device.pk)
        locked.revoked_at = now
        locked.status = KioskStatus.OUT_OF_SERVICE
        locked.enrolment_code_hash = ""
        locked.enrolment_expires_at = None
        locked.save(
            update_fields=["revoked_at", "status", "enrolment_code_hash", "enrolment_expires_at"]
        )
        for session in KioskSession.objects.filter(device=locked, ended_at__isnull=True):
            _session_wipe(session, actor=actor, cause="kiosk revoked")
        _audit(locked, actor, "device_revoked")
    device.refresh_from_db()


def kiosk_device_maintenance_set(*, device: KioskDevice, on: bool, actor: Actor) -> KioskDevice:
    """An operator takes a kiosk out for maintenance (it leaves the finder), or back."""
    with transaction.atomic():
        locked = KioskDevice.objects.select_for_update().select_related("kiosk").get(pk=device.pk)
        locked.status = KioskStatus.MAINTENANCE if on else _reported_status(locked)
        locked.save(update_fields=["status"])
        _audit(locked, actor, "maintenance_set", on=int(on), status=locked.status)
    return locked


def _reported_status(device: KioskDevice) -> str:
    """What the kiosk's last heartbeat says, if it is recent; out of service otherwise."""
    now = clock.now()
    fresh = device.last_heartbeat_at is not None and (
        now - device.last_heartbeat_at
    ) <= dt.timedelta(seconds=KIOSK_HEARTBEAT_STALE_S)
    if not fresh or device.revoked_at is not None or not device.kiosk.in_service:
        return KioskStatus.OUT_OF_SERVICE
    if device.printer_status == printers.PrinterStatus.OUT_OF_PAPER:
        return KioskStatus.OUT_OF_PAPER
    return KioskStatus.IN_SERVICE


def kiosk_heartbeat(
    *, device: KioskDevice, printer_status: str, software_version: str
) -> KioskDevice:
    """The kiosk says it is alive, with its printer's status and its software version.

    A kiosk in maintenance stays in maintenance; otherwise it is in service, or out of paper
    when its printer says so. A status change is audited; a plain heartbeat is not.
    """
    if printer_status not in PRINTER_STATUSES:
        printer_status = printers.PrinterStatus.OFFLINE
    with transaction.atomic():
        locked = KioskDevice.objects.select_for_update().select_related("kiosk").get(pk=device.pk)
        if locked.revoked_at is not None:
            raise KioskRevoked()
        previous = locked.status
        locked.last_heartbeat_at = clock.now()
        locked.printer_status = printer_status
        # Printable characters only: a NUL byte from a device would make PostgreSQL refuse the row.
        printable = "".join(character for character in software_version if character.isprintable())
        locked.software_version = printable.strip()[:MAX_VERSION_LENGTH]
        if previous != KioskStatus.MAINTENANCE:
            locked.status = _reported_status(locked)
        locked.save(
            update_fields=["last_heartbeat_at", "printer_status", "software_version", "status"]
        )
        if locked.status != previous:
            _audit(
                locked,
                _device_actor(locked),
                "status_changed",
                previous=previous,
                status=locked.status,
                printer_status=printer_status,
            )
    return locked


def kiosk_sweep_stale() -> int:
    """Kiosks silent for KIOSK_HEARTBEAT_STALE_S go out of service (and off the finder)."""
    actor = Actor.system("kiosk-sweep")
    cutoff = clock.now() - dt.timedelta(seconds=KIOSK_HEARTBEAT_STALE_S)
    stale_ids = list(
        KioskDevice.objects.filter(status__in=(KioskStatus.IN_SERVICE, KioskStatus.OUT_OF_PAPER))
        .exclude(last_heartbeat_at__gt=cutoff)
        .values_list("pk", flat=True)[:MAX_SWEEP_BATCH]
    )
    swept = 0
    for device_id in stale_ids:
        with transaction.atomic():
            device = (
                KioskDevice.objects.select_for_update().select_related("kiosk").get(pk=device_id)
            )
            fresh = device.last_heartbeat_at is not None and device.last_heartbeat_at > cutoff
            if fresh or device.status not in (KioskStatus.IN_SERVICE, KioskStatus.OUT_OF_PAPER):
                continue  # a heartbeat came in meanwhile
            previous = device.status
            device.status = KioskStatus.OUT_OF_SERVICE
            device.save(update_fields=["status"])
            _audit(device, actor, "status_changed", previous=previous, status=device.status)
            swept += 1
    return swept


def kiosk_sessions_wipe_idle() -> int:
    """Sessions untouched for KIOSK_SESSION_IDLE_S (the screen was abandoned) are wiped."""
    actor = Actor.system("kiosk-sweep")
    cutoff = clock.now() - dt.timedelta(seconds=KIOSK_SESSION_IDLE_S)
    idle = KioskSession.objects.filter(ended_at__isnull=True, last_activity_at__lt=cutoff)
    wiped = 0
    for session in idle.select_related("device__kiosk")[:MAX_SWEEP_BATCH]:
        with transaction.atomic():
            _session_wipe(session, actor=actor, cause="idle")
        wiped += 1
    return wiped


# --- sessions ------------------------------------------------------------------------------


def _session_id(session_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(session_id))
    except ValueError as error:
        raise KioskSessionNotFound() from error


def _session_locked(device: KioskDevice, session_id: uuid.UUID | str) -> KioskSession:
    """This device's open session, locked; another device's session does not exist for it."""
    session = (
        KioskSession.objects.select_for_update()
        .filter(pk=_session_id(session_id), device_id=device.pk, ended_at__isnull=True)
        .first()
    )
    if session is None:
        raise KioskSessionNotFound()
    session.device = device
    return session


def _touch(session: KioskSession, *fields: str) -> None:
    session.last_activity_at = clock.now()
    session.save(update_fields=[*fields, "last_activity_at"])


def _session_audit(session: KioskSession, actor: Actor, action: str, **data: str | int) -> None:
    audit_record(
        actor=actor,
        action=f"kiosks.session_{action}",
        object_type="kiosks.session",
        object_id=str(session.pk),
        data={"kiosk": session.device.kiosk.code, **data},
    )


def _session_wipe(session: KioskSession, *, actor: Actor, cause: str) -> None:
    """End the session and forget everything personal in it (the caller is in a transaction)."""
    card_reader.card_reader_eject(token=session.card_token)
    session.identity = KioskIdentity.NONE
    session.card_token = ""
    session.card_masked = ""
    session.card_fingerprint = ""
    session.customer_sim = None
    session.target_msisdn = ""
    session.amount_cents = None
    session.ended_at = clock.now()
    session.save()
    KioskHandoff.objects.filter(session=session, used_at__isnull=True).delete()
    _session_audit(session, actor, "ended", cause=cause)


def _active_device(device: KioskDevice) -> KioskDevice:
    """The device as stored now: revoked → 403, not in service → refuse to sell."""
    current = KioskDevice.objects.select_related("kiosk").get(pk=device.pk)
    if current.revoked_at is not None:
        raise KioskRevoked()
    if current.status not in (KioskStatus.IN_SERVICE, KioskStatus.OUT_OF_PAPER):
        raise KioskOutOfService()
    return current


def kiosk_session_start(*, device: KioskDevice, language: str) -> KioskSession:
    """A customer touched the screen and chose a language; refused when out of service."""
    device = _active_device(device)
    languages = {code for code, _name in settings.LANGUAGES}
    language = language.lower() if language.lower() in languages else settings.LANGUAGE_CODE
    now = clock.now()
    with transaction.atomic():
        session = KioskSession.objects.create(
            device=device, language=language, started_at=now, last_activity_at=now
        )
        _session_audit(session, _device_actor(device), "started", language=language)
    return session


def kiosk_session_get(*, device: KioskDevice, session_id: uuid.UUID | str) -> KioskSession:
    """This device's open session; another device's id, or an ended one, is not found (404)."""
    session = (
        KioskSession.objects.select_related("customer_sim", "order")
        .filter(pk=_session_id(session_id), device_id=device.pk, ended_at__isnull=True)
        .first()
    )
    if session is None:
        raise KioskSessionNotFound()
    session.device = device
    return session


def kiosk_session_end(*, device: KioskDevice, session_id: uuid.UUID | str) -> None:
    """The customer is done (or the screen timed out): wipe the session. Ending twice is fine."""
    with transaction.atomic():
        session = (
            KioskSession.objects.select_for_update()
            .filter(pk=_session_id(session_id), device_id=device.pk)
            .first()
        )
        if session is None:
            raise KioskSessionNotFound()
        if session.ended_at is not None:
            return
        session.device = device
        _session_wipe(session, actor=_device_actor(device), cause="ended")


def kiosk_session_card_insert(
    *, device: KioskDevice, session_id: uuid.UUID | str, card_number: str
) -> KioskSession:
    """A bank card was inserted: the session keeps the reader's token and masked number only."""
    device = _active_device(device)
    inserted = card_reader.card_reader_insert(card_number=card_number)
    if inserted is None:
        raise KioskCardUnreadable()
    with transaction.atomic():
        session = _session_locked(device, session_id)
        card_reader.card_reader_eject(token=session.card_token)
        session.card_token = inserted.token
        session.card_masked = inserted.masked
        session.card_fingerprint = inserted.fingerprint
        if session.identity != KioskIdentity.QR:
            session.identity = KioskIdentity.CARD
        _touch(session, "card_token", "card_masked", "card_fingerprint", "identity")
        _session_audit(session, _device_actor(device), "card_inserted", card=inserted.masked)
    return session


# --- the QR hand-off -----------------------------------------------------------------------


def kiosk_qr_handoff_create(*, device: KioskDevice, session_id: uuid.UUID | str) -> QrHandoff:
    """A signed, single-use token for the QR code on screen, valid 120 s, bound to this session."""
    device = _active_device(device)
    now = clock.now()
    nonce = secrets.token_hex(16)
    with transaction.atomic():
        session = _session_locked(device, session_id)
        handoff = KioskHandoff.objects.create(
            nonce=nonce,
            session=session,
            device=device,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=KIOSK_HANDOFF_TTL_S),
        )
        _touch(session)
        _session_audit(session, _device_actor(device), "qr_handoff_created")
    token = signing.dumps(
        {"n": nonce, "k": device.pk, "s": str(session.pk)}, salt=_HANDOFF_SALT, compress=True
    )
    return QrHandoff(
        token=token,
        url=f"{settings.TOPUP_PUBLIC_URL}/kiosk-handoff/{token}",
        expires_at=handoff.expires_at,
    )


def _handoff_for(token: str, *, lock: bool) -> KioskHandoff:
    """The hand-off a token names, if the signature holds and it is still usable."""
    try:
        payload = signing.loads(token, salt=_HANDOFF_SALT)
    except signing.BadSignature as error:
        raise KioskHandoffInvalid() from error
    if not isinstance(payload, dict):
        raise KioskHandoffInvalid()
    queryset = KioskHandoff.objects.select_related("session", "device__kiosk")
    if lock:
        queryset = queryset.select_for_update()
    handoff = queryset.filter(nonce=str(payload.get("n", ""))).first()
    if handoff is None:
        raise KioskHandoffInvalid()
    # The signature binds the nonce to this kiosk and this session: all three must agree.
    if handoff.device_id != payload.get("k") or str(handoff.session_id) != payload.get("s"):
        raise KioskHandoffInvalid()
    if handoff.used_at is not None:
        raise KioskHandoffInvalid(details={"reason": "used"})
    if clock.now() >= handoff.expires_at:
        raise KioskHandoffExpired()
    if handoff.device.revoked_at is not None or handoff.session.ended_at is not None:
        raise KioskHandoffInvalid(details={"reason": "kiosk_session_closed"})
    return handoff


def kiosk_qr_handoff_inspect(*, token: str) -> Kiosk:
    """The kiosk a hand-off token comes from, for the phone to ask "continue at …?". Reads only."""
    return _handoff_for(token, lock=False).device.kiosk


def kiosk_qr_handoff_confirm(*, token: str, sim: Sim, actor: Actor) -> KioskSession:
    """The logged-in customer confirmed on the phone: the kiosk session becomes theirs."""
    with transaction.atomic():
        handoff = _handoff_for(token, lock=True)
        handoff.used_at = clock.now()
        handoff.save(update_fields=["used_at"])
        session = KioskSession.objects.select_for_update().get(pk=handoff.session_id)
        session.device = handoff.device
        session.identity = KioskIdentity.QR
        session.customer_sim = sim
        session.target_msisdn = sim.msisdn  # the own number is offered; the kiosk may change it
        _touch(session, "identity", "customer_sim", "target_msisdn")
        _session_audit(session, actor, "qr_handoff_confirmed", sim_id=sim.pk)
    return session


def kiosk_session_poll(*, device: KioskDevice, session_id: uuid.UUID | str) -> KioskSession:
    """What the kiosk screen polls while the QR code is shown (identity turns "qr")."""
    return kiosk_session_get(device=device, session_id=session_id)


# --- number, amount and payment ------------------------------------------------------------


def _kiosk_channel() -> Channel:
    channel = channel_get(code=KIOSK_CHANNEL)
    if channel is None or not channel.enabled:
        raise NotFound(details={"channel": KIOSK_CHANNEL})
    return channel


def kiosk_session_set_target(
    *, device: KioskDevice, session_id: uuid.UUID | str, msisdn: str
) -> KioskTarget:
    """The number to top up, however it was typed; confirmed with the masked name on record."""
    device = _active_device(device)
    with transaction.atomic():
        session = _session_locked(device, session_id)
        if session.identity == KioskIdentity.NONE:
            raise KioskIdentityRequired()
        sim = sim_get_by_msisdn(msisdn=msisdn)
        sim_topup_check(sim=sim)
        session.target_msisdn = sim.msisdn
        session.amount_cents = None
        _touch(session, "target_msisdn", "amount_cents")
        _session_audit(session, _device_actor(device), "target_set", sim_id=sim.pk)
    return KioskTarget(
        msisdn=sim.msisdn,
        masked_name=sim_masked_name(sim=sim),
        own_number=session.customer_sim_id is not None and session.customer_sim_id == sim.pk,
    )


def kiosk_session_set_amount(
    *, device: KioskDevice, session_id: uuid.UUID | str, amount_cents: int
) -> KioskSession:
    """An amount of the kiosk channel (its denominations and limits) for the chosen number."""
    device = _active_device(device)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise KioskStepMissing()
    with transaction.atomic():
        session = _session_locked(device, session_id)
        if not session.target_msisdn:
            raise KioskStepMissing()
        sim = sim_get_by_msisdn(msisdn=session.target_msisdn)
        topup_amount_check(channel=_kiosk_channel(), sim=sim, amount_cents=amount_cents)
        session.amount_cents = amount_cents
        _touch(session, "amount_cents")
        _session_audit(session, _device_actor(device), "amount_set", amount_cents=amount_cents)
    return session


def _ready_to_pay(session: KioskSession) -> tuple[Sim, int]:
    if session.identity == KioskIdentity.NONE:
        raise KioskIdentityRequired()
    if not session.target_msisdn or not session.amount_cents:
        raise KioskStepMissing()
    return sim_get_by_msisdn(msisdn=session.target_msisdn), session.amount_cents


def _scope(device: KioskDevice) -> str:
    return f"kiosk:{device.kiosk.code}"


def _request(
    session: KioskSession, sim: Sim, amount_cents: int, *, method: str, key: str, instrument: str
) -> TopupRequest:
    return TopupRequest(
        msisdn=sim.msisdn,
        amount_cents=amount_cents,
        currency="EUR",
        payment_method=method,
        channel=KIOSK_CHANNEL,
        idempotency_scope=_scope(session.device),
        idempotency_key=key,
        requested_by=session.customer_sim,
        language=session.language,
        instrument_hash=instrument,
        settlement="counter" if method == "card" else "online",
    )


def _order_replay(device: KioskDevice, key: str) -> TopupOrder | None:
    return TopupOrder.objects.filter(idempotency_scope=_scope(device), idempotency_key=key).first()


def _session_order_set(session: KioskSession, order: TopupOrder, actor: Actor, method: str) -> None:
    with transaction.atomic():
        locked = _session_locked(session.device, session.pk)
        locked.order = order
        _touch(locked, "order")
        _session_audit(
            locked,
            actor,
            "paid" if order.status == TopupStatus.CREDITED else "payment_started",
            order_id=str(order.pk),
            payment_method=method,
            amount_cents=order.amount_cents,
        )


def _card_refused(session: KioskSession, charge: TerminalCharge, amount_cents: int) -> None:
    audit_record(
        actor=_device_actor(session.device),
        action="kiosks.card_refused",
        object_type="kiosks.session",
        object_id=str(session.pk),
        reason=charge.failure_code,
        data={"amount_cents": amount_cents, "outcome": charge.outcome.value},
    )


def kiosk_session_pay_card(
    *, device: KioskDevice, session_id: uuid.UUID | str, idempotency_key: str
) -> TopupOrder:
    """Charge the card in the reader, then create and settle the order (like a counter sale).

    A declined card creates no order and credits nothing; a retried request with the same key
    returns the same order and never charges twice; if the order is refused after the charge
    (a limit reached meanwhile), the charge is refunded on the terminal.
    """
    device = _active_device(device)
    session = kiosk_session_get(device=device, session_id=session_id)
    replayed = _order_replay(device, idempotency_key)
    if replayed is not None:
        return replayed
    if not session.card_token:
        raise KioskCardRequired()  # a QR identity: insert a card, or pay by Bancontact QR
    sim, amount_cents = _ready_to_pay(session)
    sim_topup_check(sim=sim)
    topup_amount_check(
        channel=_kiosk_channel(),
        sim=sim,
        amount_cents=amount_cents,
        instrument_hash=session.card_fingerprint,
    )
    charge = card_reader.card_reader_charge(
        token=session.card_token,
        reference=f"{_scope(device)}:{idempotency_key}",
        amount_cents=amount_cents,
    )
    if charge.outcome != TerminalOutcome.APPROVED:
        _card_refused(session, charge, amount_cents)
        if charge.outcome == TerminalOutcome.ERROR:
            raise KioskTerminalError(details={"reason": charge.failure_code})
        raise KioskCardDeclined(details={"reason": charge.failure_code})
    actor = _device_actor(device)
    request = _request(
        session,
        sim,
        amount_cents,
        method="card",
        key=idempotency_key,
        instrument=charge.instrument_fingerprint,
    )
    try:
        with transaction.atomic():
            order = topup_order_create(request=request, actor=actor)
            order = topup_order_settle_at_counter(
                order_id=order.pk,
                funding=ledger_provider_clearing_account(provider=TERMINAL_PROVIDER),
                instrument_masked=charge.instrument_masked,
                instrument_hash=charge.instrument_fingerprint,
                actor=actor,
            )
            _session_order_set(session, order, actor, "card")
    except ApplicationError:
        card_reader.card_reader_refund(charge=charge, amount_cents=amount_cents)
        raise
    return order


def kiosk_session_pay_bancontact(
    *, device: KioskDevice, session_id: uuid.UUID | str, idempotency_key: str
) -> TopupOrder:
    """An online Bancontact order: the kiosk shows its `payment_redirect_url` as a QR code."""
    device = _active_device(device)
    session = kiosk_session_get(device=device, session_id=session_id)
    sim, amount_cents = _ready_to_pay(session)
    actor = _device_actor(device)
    request = _request(
        session, sim, amount_cents, method="bancontact", key=idempotency_key, instrument=""
    )
    order = topup_order_create(request=request, actor=actor)
    _session_order_set(session, order, actor, "bancontact")
    return order


def kiosk_session_order_poll(*, device: KioskDevice, session_id: uuid.UUID | str) -> TopupOrder:
    """The session's order as it stands now; a waiting online payment is reconciled first."""
    session = kiosk_session_get(device=device, session_id=session_id)
    if session.order is None:
        raise KioskOrderNotFound()
    order = session.order
    if order.status in (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT):
        order = topup_order_reconcile(order=order, actor=_device_actor(device))
    return order


# --- the receipt ---------------------------------------------------------------------------


def kiosk_printer_url(*, kiosk: Kiosk) -> str:
    """The receipt printer inside a kiosk: setting TOPUP_KIOSK_PRINTERS, kiosk code → URL."""
    configured = getattr(settings, "TOPUP_KIOSK_PRINTERS", None) or {}
    url = configured.get(kiosk.code, DEFAULT_PRINTER_URL) if isinstance(configured, dict) else ""
    return str(url or DEFAULT_PRINTER_URL)


def kiosk_receipt_link(*, order: TopupOrder) -> str:
    """A signed link to the public receipt page: the QR code printed or shown on screen."""
    token = signing.dumps(str(order.pk), salt=_RECEIPT_SALT)
    return f"{settings.TOPUP_PUBLIC_URL}/kiosks/receipts/{token}"


def kiosk_receipt_order_from_link(*, token: str) -> TopupOrder:
    """The order a receipt link names (valid KIOSK_RECEIPT_LINK_TTL_S); NotFound otherwise."""
    try:
        order_id = signing.loads(token, salt=_RECEIPT_SALT, max_age=KIOSK_RECEIPT_LINK_TTL_S)
    except signing.BadSignature as error:
        raise NotFound() from error
    order = TopupOrder.objects.filter(pk=str(order_id), channel=KIOSK_CHANNEL).first()
    if order is None:
        raise NotFound()
    return order


def kiosk_session_receipt_print(
    *, device: KioskDevice, session_id: uuid.UUID | str, order_id: uuid.UUID | str
) -> KioskPrintOutcome:
    """Print the receipt; when the printer is out of paper or offline, say so (QR on screen)."""
    session = kiosk_session_get(device=device, session_id=session_id)
    if session.order is None or str(session.order.pk) != str(order_id):
        raise KioskOrderNotFound()
    order = session.order
    receipt = topup_receipt_build(order=order)
    receipt_url = kiosk_receipt_link(order=order)
    current = KioskDevice.objects.select_related("kiosk").get(pk=device.pk)
    reason = ""
    if current.printer_status == printers.PrinterStatus.OUT_OF_PAPER:
        reason = "out_of_paper"
    else:
        printer = printers.printer_from_url(kiosk_printer_url(kiosk=current.kiosk))
        try:
            printer.print_receipt(
                receipt=receipt, language=session.language, receipt_url=receipt_url
            )
        except PrinterUnavailable:
            status = printer.status()
            reason = "out_of_paper" if status == printers.PrinterStatus.OUT_OF_PAPER else "offline"
    audit_record(
        actor=_device_actor(device),
        action="kiosks.receipt_printed" if not reason else "kiosks.receipt_not_printed",
        object_type="topup.order",
        object_id=str(order.pk),
        reason=reason,
        data={"kiosk": current.kiosk.code},
    )
    return KioskPrintOutcome(printed=not reason, reason=reason, receipt_url=receipt_url)


# --- the demo ------------------------------------------------------------------------------


DEMO_KIOSK_CODES: Final = ("kiosk-bru-midi", "kiosk-liege")
DEMO_SOFTWARE_VERSION: Final = "demo"


def kiosks_demo_setup() -> list[tuple[Kiosk, str]]:
    """Register the demo kiosks, in service with a heartbeat now; a fresh enrolment code each."""
    actor = Actor.system("demo")
    issued: list[tuple[Kiosk, str]] = []
    for kiosk in Kiosk.objects.filter(code__in=DEMO_KIOSK_CODES).order_by("code"):
        device, code = kiosk_device_register(kiosk=kiosk, actor=actor)
        if device.revoked_at is None:
            kiosk_heartbeat(
                device=device, printer_status="ok", software_version=DEMO_SOFTWARE_VERSION
            )
        issued.append((kiosk, code))
    return issued
