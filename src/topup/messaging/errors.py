"""Errors a subscriber can cause while logging in with a one-time code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, RateLimited


class OtpInvalid(ApplicationError):
    code = "otp_invalid"
    http_status = 401
    default_message = _("This code is not correct. Check the code in the SMS and type it again.")


class OtpExpired(ApplicationError):
    code = "otp_expired"
    http_status = 401
    default_message = _("This code is no longer valid. Ask for a new code.")


class OtpTooManyAttempts(ApplicationError):
    code = "otp_too_many_attempts"
    http_status = 429
    default_message = _("Too many wrong codes. This code no longer works: ask for a new code.")


class OtpResendTooSoon(RateLimited):
    default_message = _(
        "We just sent you a code. Wait a moment before asking for a new one, "
        "and check your messages for the sender name."
    )


class OtpRequestLimitReached(RateLimited):
    default_message = _(
        "Too many codes were asked for. Try again later, or contact customer service."
    )


class OtpGuessLimitReached(RateLimited):
    default_message = _(
        "Too many wrong codes were typed from this connection. Try again later, "
        "or contact customer service."
    )
