"""One application-error hierarchy: each error a user can cause has a code, status and message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class ApplicationError(Exception):
    """An error a user can cause: machine-readable code, HTTP status, translatable message."""

    code: ClassVar[str] = "application_error"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str | Promise] = _("The request could not be completed.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        details: Mapping[str, JsonValue] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.details: dict[str, JsonValue] = dict(details or {})
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    code = "validation_error"
    http_status = 422
    default_message = _("Some fields are invalid. Correct them and try again.")


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404
    default_message = _("We could not find what you asked for. Check the reference and try again.")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You are not allowed to do this.")


class AuthenticationRequired(ApplicationError):
    code = "authentication_required"
    http_status = 401
    default_message = _("Log in with your phone number and the code we send you by SMS.")


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409
    default_message = _("This conflicts with the current state. Reload and try again.")


class RateLimited(ApplicationError):
    code = "rate_limited"
    http_status = 429
    default_message = _("Too many requests. Wait a moment and try again.")


class InvariantViolation(Exception):
    """A bug, not a user error: an invariant the code must never break. Fails loudly."""
