"""Two-factor login of staff (shop console, back office) with a TOTP app (django-otp).

Also enrolling a first device.

django-otp throttles wrong codes per device (1, 2, 4, 8… seconds between tries); a failed try
is committed before the error is raised, so the back-off cannot be undone by a rollback.
"""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import quote, urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from topup.audit.services import Actor, audit_record
from topup.core.errors import PermissionDenied
from topup.staff.errors import (
    TwoFactorAlreadyEnrolled,
    TwoFactorCodeInvalid,
    TwoFactorLocked,
    TwoFactorNoDevice,
)

CODE_MAX_INPUT_CHARS = 8
DEVICE_NAME = "console"
ISSUER = "Topup staff"


def two_factor_required() -> bool:
    return bool(getattr(settings, "TOPUP_STAFF_TWO_FACTOR_REQUIRED", False))


def two_factor_verified(request: HttpRequest) -> bool:
    """True when this session's login was confirmed with a code (OTPMiddleware sets otp_device)."""
    return getattr(request.user, "otp_device", None) is not None


def two_factor_has_device(user: AbstractBaseUser | AnonymousUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def two_factor_verify(*, request: HttpRequest, code: str) -> None:
    """Check a code against the user's confirmed device and mark the session as verified."""
    token = _token_cleaned(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user_id=request.user.pk, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise TwoFactorNoDevice()
        locked_until = _locked_until(device)
        verified = locked_until is None and bool(token) and bool(device.verify_token(token))
    # Outside the transaction: the throttling counter is saved whatever happens next.
    if not verified:
        raise _refusal(locked_until)
    django_otp.login(request, device)


def two_factor_enrolment_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed device, created on first call; refused once one is confirmed.

    In production self-enrolment is off (TOPUP_STAFF_SELF_ENROLMENT): a stolen password alone
    must not be enough to enrol a device; an administrator enrols it in the admin.
    """
    if not getattr(settings, "TOPUP_STAFF_SELF_ENROLMENT", True):
        raise PermissionDenied()
    with transaction.atomic():
        if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
            raise TwoFactorAlreadyEnrolled()
        device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def two_factor_enrolment_confirm(*, request: HttpRequest, code: str, actor: Actor) -> None:
    """The first code from the app proves it holds the secret; the device is then confirmed."""
    token = _token_cleaned(code)
    with transaction.atomic():
        if TOTPDevice.objects.filter(user_id=request.user.pk, confirmed=True).exists():
            raise TwoFactorAlreadyEnrolled()
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user_id=request.user.pk, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise TwoFactorNoDevice()
        locked_until = _locked_until(device)
        verified = locked_until is None and bool(token) and bool(device.verify_token(token))
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(
                actor=actor,
                action="staff.two_factor_enrolled",
                object_type="otp_totp.totpdevice",
                object_id=device.pk,
                data={"user_id": str(request.user.pk)},
            )
    if not verified:
        raise _refusal(locked_until)
    django_otp.login(request, device)


def two_factor_qr_data_uri(*, device: TOTPDevice, username: str) -> str:
    """The device's otpauth:// address as an SVG QR code, inline as a data: URI (CSP allows it)."""
    qr = segno.make(_otpauth_url(device=device, username=username), error="m")
    return str(qr.svg_data_uri(scale=4, title=f"{ISSUER}: {username}"))


def two_factor_secret_text(*, device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app without a camera."""
    secret = base64.b32encode(bytes(device.bin_key)).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _otpauth_url(*, device: TOTPDevice, username: str) -> str:
    label = quote(f"{ISSUER}:{username}")
    query = urlencode(
        {
            "secret": two_factor_secret_text(device=device).replace(" ", ""),
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": str(device.digits),
            "period": str(device.step),
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def _token_cleaned(code: str) -> str:
    token = "".join(code.split())[:CODE_MAX_INPUT_CHARS]
    return token if token.isdigit() else ""


def _locked_until(device: TOTPDevice) -> dt.datetime | None:
    allowed, data = device.verify_is_allowed()
    if allowed or not isinstance(data, dict):
        return None
    until = data.get("locked_until")
    return until if isinstance(until, dt.datetime) else None


def _refusal(locked_until: dt.datetime | None) -> TwoFactorCodeInvalid | TwoFactorLocked:
    if locked_until is not None:
        return TwoFactorLocked(details={"locked_until": locked_until.isoformat()})
    return TwoFactorCodeInvalid()
