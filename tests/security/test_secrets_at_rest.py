"""Secrets at rest: tokens and codes only hashed, document numbers only encrypted, keys rotated.

The whole database is read back after every kind of secret has been issued through the real
flows (an API login with its SMS code, a kiosk enrolled, a QR hand-off and a kiosk receipt link,
staff passwords, an online identification through the identity provider, an identification at
the counter); no secret may appear in any column of any table, in the form it was handed out.

What is kept in clear on purpose, and where:
- the simulated handset (messaging.OutboxMessage) is the customer's phone, not the platform's
  store; until a real SMS gateway is registered it is the only gateway, production included;
- a queued SMS carries its login code until the gateway has it, then the code is masked
  (tests/messaging/test_sms_sending.py); the scan runs after delivery;
- TOTP keys of staff devices (django-otp's TOTPDevice.key): the server must compute the codes,
  so django-otp keeps the key readable by design; pinned below so the exception stays known;
- a QR hand-off's nonce and a kiosk receipt link are not secrets alone: the links are signed
  with SECRET_KEY, and the signed token itself is stored nowhere.
Session keys (the cookie) are stored as a digest (topup.core.sessions); a shop booking's
reference, which cancels the booking, as a keyed hash, and masked in the record of its SMS.

Document numbers never reach the logs: tests/security/test_logs.py. Card numbers are never
stored: tests/payments/test_no_card_data.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests.security.conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_WITH_FIVE_EUROS,
    order_create,
)
from tests.subscribers.factories import eid_card_number
from tests.support import sms_code_on_handset
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.catalog.models import Shop
from topup.cli.field_keys import ENCRYPTED_FIELDS
from topup.core import clock
from topup.core.sessions import session_key_stored
from topup.core.worker import worker_drain
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import (
    kiosk_device_enrol,
    kiosk_qr_handoff_create,
    kiosk_receipt_link,
    kiosk_session_start,
    kiosks_demo_setup,
)
from topup.messaging.models import OutboxMessage
from topup.shops.services import shop_demo_setup
from topup.staff.two_factor import two_factor_enrolment_start
from topup.subscribers.crypto import decrypt_text, lookup_hash
from topup.subscribers.models import (
    DocumentType,
    HoldReason,
    IdentificationMethod,
    IdentificationRecord,
    Sim,
)
from topup.subscribers.services import (
    identification_document_number_reveal,
    identification_record_create,
    line_hold_open,
)
from topup.visits.services import (
    BookingMade,
    booking_cancel,
    booking_create,
    booking_reference_display,
    booking_slots,
    visits_hours_setup_default,
)

pytestmark = pytest.mark.usefixtures("demo")

EID_NUMBER = eid_card_number(7_123_456_789)
NATIONAL_REGISTER_NUMBER = "90021712310"  # 17 Feb 1990, serial 123, mod-97 check
STAFF_PASSWORD = "correct-horse-battery-2026"
DEMO_STAFF_PASSWORDS = ("demo-agent-2026", "demo-manager-2026", "demo-partner-2026")
# The simulated handset: the customer's phone, outside the platform's store (see above).
NOT_THE_PLATFORMS_STORE: frozenset[type[models.Model]] = frozenset({OutboxMessage})


def database_text(*, leave_out: Iterable[type[models.Model]] = NOT_THE_PLATFORMS_STORE) -> str:
    """Every value of every row of every table (auto-created m2m tables too), as text."""
    skipped = set(leave_out)
    chunks: list[str] = []
    for model in apps.get_models(include_auto_created=True):
        if model in skipped or model._meta.proxy:
            continue
        for row in model._default_manager.values_list():
            chunks.append(f"{model._meta.label}: {row!r}")
    return "\n".join(chunks)


def found(secret: str, text: str, *, guessable: bool = True) -> list[str]:
    """The forms of a secret a careless store would keep: as is, and (for a secret that can be
    guessed, such as a six-digit code or a password) an unkeyed digest anyone can brute-force.
    A random 128-bit or longer token may be stored as its plain SHA-256 (API tokens are)."""
    forms = {"clear": secret}
    if guessable:
        forms["sha256"] = hashlib.sha256(secret.encode()).hexdigest()
        forms["md5"] = hashlib.md5(secret.encode(), usedforsecurity=False).hexdigest()
    return [name for name, form in forms.items() if form in text]


def _identify_at_the_counter() -> IdentificationRecord:
    sim = Sim.objects.get(msisdn=AWAITING_IDENTIFICATION)
    assert sim.subscriber is not None
    return identification_record_create(
        sim=sim,
        subscriber=sim.subscriber,
        method=IdentificationMethod.SHOP_DOCUMENT,
        document_type=DocumentType.BE_EID,
        issuing_country="BEL",
        document_number=EID_NUMBER,
        national_register_number=NATIONAL_REGISTER_NUMBER,
        document_expires_on=dt.date(2032, 5, 31),
        verified_by="agent.brussels",
        evidence_reference="original seen at the counter",
        shop=Shop.objects.get(code="bru-central"),
        actor=Actor(actor_type="staff", actor_id="agent.brussels"),
    )


def _idp_authorization_code(client: Client) -> str:
    """Re-verify a held line online: the identity provider's code comes back in the callback."""
    sim = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=Actor.system("tests"))
    authorize = client.post("/verify/start", {"method": "online_eid"})["Location"]
    client.get(authorize)
    answered = client.post(authorize, {"persona": "jan", "action": "approve"})
    assert answered.status_code == 303
    callback = answered["Location"]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert client.get(callback, follow=True).status_code == 200
    return code


# --- Nothing handed out is kept readable ---------------------------------------------------------


def test_no_token_code_or_password_is_stored_readable(client: Client) -> None:
    secrets: dict[str, str] = {}
    # A customer logs in on the website (SMS code), then asks for an API token (another code).
    client.post("/login", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    secrets["web login code"] = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    assert client.post("/login/code", {"code": secrets["web login code"]}).status_code == 302
    secrets["identity provider code"] = _idp_authorization_code(client)
    api = Client()
    clock_later = clock.now() + dt.timedelta(minutes=2)  # past the resend cooldown
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("topup.core.clock.now", lambda: clock_later)
        api.post(
            "/api/v1/auth/otp",
            data=json.dumps({"msisdn": IDENTIFIED_WITH_FIVE_EUROS}),
            content_type="application/json",
        )
        secrets["api login code"] = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
        issued = api.post(
            "/api/v1/auth/token",
            data=json.dumps(
                {"msisdn": IDENTIFIED_WITH_FIVE_EUROS, "code": secrets["api login code"]}
            ),
            content_type="application/json",
        )
    assert issued.status_code == 200, issued.content
    secrets["api bearer token"] = issued.json()["access_token"]
    # A kiosk is enrolled, shows a QR hand-off, and prints a receipt link.
    kiosk, enrolment_code = kiosks_demo_setup()[0]
    secrets["kiosk enrolment code"] = enrolment_code
    credential = kiosk_device_enrol(enrolment_code=enrolment_code)
    secrets["kiosk credential secret"] = credential.partition(".")[2]
    device = KioskDevice.objects.get(kiosk=kiosk)
    session = kiosk_session_start(device=device, language="en")
    secrets["kiosk QR hand-off token"] = kiosk_qr_handoff_create(
        device=device, session_id=session.pk
    ).token
    secrets["kiosk receipt link token"] = kiosk_receipt_link(order=order_create()).rsplit("/")[-1]
    # Staff: the demo's shop staff and a back-office user with a password of their own.
    shop_demo_setup()
    User.objects.create_user(username="cs.someone", password=STAFF_PASSWORD)
    secrets["staff password"] = STAFF_PASSWORD
    for index, password in enumerate(DEMO_STAFF_PASSWORDS):
        secrets[f"demo staff password {index}"] = password
    worker_drain()

    random_tokens = {
        "identity provider code",
        "api bearer token",
        "kiosk enrolment code",
        "kiosk credential secret",
        "kiosk QR hand-off token",
        "kiosk receipt link token",
    }
    text = database_text()
    leaks = {
        name: forms
        for name, secret in secrets.items()
        if (forms := found(secret, text, guessable=name not in random_tokens))
    }
    assert leaks == {}
    # The scan sees the columns it must: the tables are there and hold the hashes.
    assert "subscribers.AccessToken" in text and "kiosks.KioskDevice" in text
    assert User.objects.get(username="cs.someone").password.startswith("md5$")  # tests' hasher


def test_document_numbers_are_stored_encrypted_masked_and_keyed_hashed_only() -> None:
    record = _identify_at_the_counter()
    text = database_text(leave_out=())
    for number in (EID_NUMBER, NATIONAL_REGISTER_NUMBER):
        assert found(number, text) == [], number
    record.refresh_from_db()
    assert record.document_number_masked == "*********" + EID_NUMBER[-3:]
    assert decrypt_text(record.document_number_encrypted) == EID_NUMBER
    assert decrypt_text(record.national_register_number_encrypted) == NATIONAL_REGISTER_NUMBER


def test_totp_keys_are_kept_readable_by_django_otp_design() -> None:
    """The one readable secret: the server needs the key to compute the expected code."""
    user = User.objects.create_user(username="agent.totp", password=STAFF_PASSWORD)
    device = two_factor_enrolment_start(user=user)
    assert isinstance(device, TOTPDevice)
    assert device.key in database_text()


def test_session_keys_are_not_stored_in_clear(client: Client) -> None:
    """The session table keeps a digest of the cookie; the cookie still signs the customer in,
    a copy of the table does not, and logging out deletes the row."""
    client.post("/login", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    client.post("/login/code", {"code": sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)})
    cookie = client.cookies["sessionid"].value
    assert found(cookie, database_text()) == []
    stored = Session.objects.get(session_key=session_key_stored(cookie))
    assert client.get("/account").status_code == 200

    thief = Client()
    thief.cookies["sessionid"] = stored.session_key  # what a stolen table holds
    assert thief.get("/account").status_code == 302  # to the login page

    client.post("/logout")
    assert not Session.objects.filter(session_key=session_key_stored(cookie)).exists()


def test_a_booking_reference_is_not_stored_in_clear() -> None:
    """The reference cancels the booking: the table keeps its keyed hash, the platform's record
    of the confirmation SMS masks it once sent; the customer's handset has it."""
    made = _book_a_visit()
    worker_drain()
    text = database_text()
    for form in (made.reference, booking_reference_display(made.reference)):
        assert found(form, text) == []
    assert booking_reference_display(made.reference) in database_text(leave_out=())  # the handset
    assert booking_cancel(reference=made.reference).pk == made.booking.pk


# --- Keys: rotation ------------------------------------------------------------------------------

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
FOREIGN_KEY = Fernet.generate_key().decode()


def _reveal(record: IdentificationRecord) -> str:
    return identification_document_number_reveal(
        record=record, actor=Actor(actor_type="staff", actor_id="1"), reason="key rotation test"
    )


def _book_a_visit() -> BookingMade:
    """A visit booked in the first free slot of the coming week (default opening hours)."""
    shop = Shop.objects.get(code="bru-central")
    visits_hours_setup_default(shop=shop)
    now = clock.now()
    slot = next(
        slot
        for day in range(1, 8)
        for slot in booking_slots(shop=shop, day=(now + dt.timedelta(days=day)).date())
        if slot.free > 0 and not slot.in_past
    )
    return booking_create(
        shop=shop, slot_start=slot.start, msisdn=IDENTIFIED_WITH_FIVE_EUROS, language="en"
    )


def _rotate() -> str:
    out = io.StringIO()
    call_command("crypto", "rotate", "--batch-size", "1", stdout=out)
    return out.getvalue()


def test_every_encrypted_column_is_known_to_the_rotation() -> None:
    listed = {(model, field) for model, fields in ENCRYPTED_FIELDS for field in fields}
    encrypted = {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.name.endswith("_encrypted")
    }
    assert encrypted == listed


def test_a_new_key_put_first_still_reads_the_old_data(settings: Settings) -> None:
    settings.TOPUP_FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    old = _identify_at_the_counter()
    settings.TOPUP_FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert _reveal(old) == EID_NUMBER
    booking = _book_a_visit().booking  # encrypted now: with the new key
    settings.TOPUP_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_text(booking.msisdn_encrypted) == IDENTIFIED_WITH_FIVE_EUROS
    # Dropping the old key before rotating makes the old data unreadable, loudly.
    with pytest.raises(ValueError, match="cannot be read"):
        _reveal(old)


def _encrypted_values() -> int:
    return sum(
        model._default_manager.exclude(**{field: ""}).count()
        for model, fields in ENCRYPTED_FIELDS
        for field in fields
    )


def test_rotate_re_encrypts_everything_so_the_old_key_can_go(settings: Settings) -> None:
    """The demo's identifications (the configured key) and new ones, rotated to a new key."""
    old_keys = list(settings.TOPUP_FIELD_ENCRYPTION_KEYS)
    record = _identify_at_the_counter()
    booking = _book_a_visit().booking
    hashes = (record.document_number_hash, record.national_register_number_hash)
    values = _encrypted_values()
    assert values >= 3

    settings.TOPUP_FIELD_ENCRYPTION_KEYS = [NEW_KEY, *old_keys]
    first = _rotate()
    assert "visits.shopbooking: 1 re-encrypted, 0 already current, 0 unreadable" in first
    rotated = sum(int(line.split(": ")[1].split()[0]) for line in first.splitlines())
    assert rotated == values
    assert _rotate().count(" 0 re-encrypted") == 2  # a second run has nothing left to do

    settings.TOPUP_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    for model, fields in ENCRYPTED_FIELDS:
        for row in model._default_manager.all():
            for field in fields:
                if getattr(row, field):
                    decrypt_text(getattr(row, field))  # every value reads with the new key alone
    record.refresh_from_db()
    booking.refresh_from_db()
    assert _reveal(record) == EID_NUMBER
    assert decrypt_text(record.national_register_number_encrypted) == NATIONAL_REGISTER_NUMBER
    assert decrypt_text(booking.msisdn_encrypted) == IDENTIFIED_WITH_FIVE_EUROS
    # The keyed lookup hashes (one identity across lines) do not depend on these keys.
    assert (record.document_number_hash, record.national_register_number_hash) == hashes
    assert _encrypted_values() == values  # nothing emptied, nothing erased revived
    assert AuditEvent.objects.filter(action="crypto.rotated").count() == 4


def test_rotate_refuses_to_report_success_when_a_value_cannot_be_read(settings: Settings) -> None:
    record = _identify_at_the_counter()
    stored = record.document_number_encrypted
    settings.TOPUP_FIELD_ENCRYPTION_KEYS = [FOREIGN_KEY]
    with pytest.raises(CommandError, match="no configured key can read"):
        _rotate()
    record.refresh_from_db()
    assert record.document_number_encrypted == stored  # left as it was, for the right key


def test_lookup_hashes_have_their_own_key_and_survive_a_secret_key_rotation(
    settings: Settings,
) -> None:
    """Rotating SECRET_KEY (sessions, signed links) must not orphan the stored lookup hashes."""
    settings.TOPUP_LOOKUP_HASH_KEY = "lookup-key-one"
    before = lookup_hash(EID_NUMBER)
    settings.SECRET_KEY = "a-rotated-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert lookup_hash(EID_NUMBER) == before
    settings.TOPUP_LOOKUP_HASH_KEY = "lookup-key-two"
    assert lookup_hash(EID_NUMBER) != before
