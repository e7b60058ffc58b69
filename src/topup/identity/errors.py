"""Errors of identification online; each tells the customer what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError


class IdentityProviderError(ApplicationError):
    """The provider could not be reached or answered nonsense: nothing the customer did."""

    code = "identity_provider_unavailable"
    http_status = 503
    default_message = _(
        "The identification service cannot be reached right now. Try again in a few minutes, "
        "or visit a shop with your original identity document."
    )


class IdentityVerificationFailed(ApplicationError):
    code = "identity_verification_failed"
    http_status = 422
    default_message = _(
        "Your identity could not be verified. Start the verification again, or visit a shop "
        "with your original identity document."
    )


class IdentityVerificationRefused(IdentityVerificationFailed):
    default_message = _(
        "The verification was cancelled at the identification service, so nothing changed. "
        "Start again when you are ready, or visit a shop with your original identity document."
    )


class IdentityVerificationExpired(IdentityVerificationFailed):
    default_message = _(
        "This verification has expired or was already used. Start the verification again."
    )


class IdentityDoesNotMatch(IdentityVerificationFailed):
    code = "identity_does_not_match"
    default_message = _(
        "The identity you confirmed is not the name registered for this line, so the line stays "
        "on hold. Verify with the identity of the line's registered user, or visit a shop with "
        "your original identity document, or contact customer service to correct the record."
    )


class IdentityVerificationInterrupted(IdentityVerificationFailed):
    """The answer does not belong to a verification this browser started (state check)."""

    default_message = _(
        "This answer does not belong to a verification started in this browser, or that "
        "verification is already finished. Nothing changed: start the verification again."
    )
