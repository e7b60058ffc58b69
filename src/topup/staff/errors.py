"""Errors staff can cause while logging in (console, back office), each with a next step."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, Conflict, RateLimited


class StaffLoginInvalid(ApplicationError):
    code = "staff_login_invalid"
    http_status = 401
    default_message = _(
        "The username or password is wrong. Type them again, or ask your shop manager to reset "
        "the password."
    )


class TwoFactorCodeInvalid(ApplicationError):
    code = "two_factor_code_invalid"
    http_status = 401
    default_message = _(
        "This code is wrong or has expired. Type the 6 digits your authenticator app shows now."
    )


class TwoFactorLocked(RateLimited):
    code = "two_factor_locked"
    default_message = _(
        "Too many wrong codes. Wait before you try again; ask an administrator if it goes on."
    )


class TwoFactorNoDevice(Conflict):
    code = "two_factor_no_device"
    default_message = _(
        "Your account has no two-factor device yet. Set one up now, or ask an administrator "
        "to enrol one for you."
    )


class TwoFactorAlreadyEnrolled(Conflict):
    code = "two_factor_already_enrolled"
    default_message = _(
        "Your account already has a two-factor device. Log in with its code; ask an "
        "administrator to replace a lost device."
    )
