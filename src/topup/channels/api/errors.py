"""One error shape for the whole API: {"error": {"code", "message", "details"}}.

Every exception that leaves a view comes through here; the message is rendered in the request's
language (LocaleMiddleware chose it from Accept-Language).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypeAlias, TypeVar

import structlog
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field
from pydantic import JsonValue as PydanticJsonValue

from topup.core.errors import (
    ApplicationError,
    AuthenticationRequired,
    JsonValue,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)

logger = structlog.get_logger(__name__)


class ErrorBody(Schema):
    code: str = Field(examples=["invalid_msisdn"])
    message: str = Field(description="In the language of Accept-Language.")
    details: dict[str, PydanticJsonValue]


class ErrorOut(Schema):
    """The body of every 4xx and 5xx answer."""

    error: ErrorBody


class IdempotencyKeyRequired(ApplicationError):
    code = "idempotency_key_required"
    http_status = 400
    default_message = _(
        "Send an Idempotency-Key header (for example a new UUID) so a retry cannot pay twice."
    )


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    http_status = 400
    default_message = _(
        "The Idempotency-Key header must be 1 to 128 visible ASCII characters, for example a UUID."
    )


class WebhookRejectedError(ApplicationError):
    code = "webhook_rejected"
    http_status = 400
    default_message = _("This webhook was rejected: its signature or timestamp is not valid.")


class BadRequest(ApplicationError):
    code = "bad_request"
    http_status = 400
    default_message = _("The request could not be read. Send a JSON body and try again.")


class MethodNotAllowed(ApplicationError):
    code = "method_not_allowed"
    http_status = 405
    default_message = _("This address does not accept this HTTP method.")


class InternalError(ApplicationError):
    code = "internal_error"
    http_status = 500
    default_message = _(
        "Something went wrong on our side. Nothing was charged twice. Try again in a moment; "
        "if it happens again, contact customer service with the request id."
    )


# ninja raises HttpError for what it refuses itself (unreadable body, missing auth, throttling).
_HTTP_ERRORS: Final[dict[int, type[ApplicationError]]] = {
    400: BadRequest,
    401: AuthenticationRequired,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    429: RateLimited,
}


def request_language(request: HttpRequest) -> str:
    """The language LocaleMiddleware picked for this request (settings.LANGUAGE_CODE if none)."""
    language = getattr(request, "LANGUAGE_CODE", None)
    return language if isinstance(language, str) else settings.LANGUAGE_CODE


def request_id(request: HttpRequest) -> str:
    value = request.META.get("TOPUP_REQUEST_ID", "")
    return value if isinstance(value, str) else ""


def error_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str | Promise,
    details: Mapping[str, JsonValue] | None = None,
) -> HttpResponse:
    with translation.override(request_language(request)):
        body = {"error": {"code": code, "message": str(message), "details": dict(details or {})}}
        response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="topup"'
    return response


def application_error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return error_response(
        request,
        status=error.http_status,
        code=error.code,
        message=error.message,
        details=error.details,
    )


# ninja types a handler's exception as "the exception or its class"; it always passes instances.
_E = TypeVar("_E", bound=Exception)
_Raised: TypeAlias = _E | type[_E]


def _instance(raised: _Raised[_E]) -> _E | None:
    return None if isinstance(raised, type) else raised


def _on_application_error(request: HttpRequest, raised: _Raised[ApplicationError]) -> HttpResponse:
    error = _instance(raised) or ApplicationError()
    return application_error_response(request, error)


def _on_validation_error(request: HttpRequest, raised: _Raised[ValidationError]) -> HttpResponse:
    exc = _instance(raised)
    fields: list[JsonValue] = [_field_error(error) for error in (exc.errors if exc else [])]
    return error_response(
        request,
        status=422,
        code=ValidationFailed.code,
        message=ValidationFailed.default_message,
        details={"fields": fields},
    )


def _field_error(error: Mapping[str, object]) -> dict[str, JsonValue]:
    """A pydantic error as {"field", "location", "type", "message"}; its ctx is dropped."""
    location = error.get("loc", ())
    parts = [str(part) for part in location] if isinstance(location, list | tuple) else []
    # ninja prefixes body fields with the parameter name ("body", "payload", "msisdn").
    where = parts[0] if parts else ""
    field = ".".join(parts[2:] if where == "body" and len(parts) > 2 else parts[1:])
    return {
        "field": field,
        "location": where,
        "type": str(error.get("type", "")),
        "message": str(error.get("msg", "")),
    }


def _on_http_error(request: HttpRequest, raised: _Raised[HttpError]) -> HttpResponse:
    exc = _instance(raised)
    status = exc.status_code if exc else 400
    error_class = _HTTP_ERRORS.get(status)
    if error_class is None:
        return error_response(
            request, status=status, code="http_error", message=ApplicationError.default_message
        )
    return application_error_response(request, error_class())


def _on_not_found(request: HttpRequest, raised: _Raised[Http404]) -> HttpResponse:
    return application_error_response(request, NotFound())


def _on_unexpected(request: HttpRequest, raised: _Raised[Exception]) -> HttpResponse:
    rid = request_id(request)
    logger.error(
        "api_unexpected_error",
        path=request.path,
        method=request.method,
        request_id=rid,
        exc_info=_instance(raised),
    )
    return error_response(
        request,
        status=500,
        code=InternalError.code,
        message=InternalError.default_message,
        details={"request_id": rid},
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's defaults: nothing leaves the API in any other shape."""
    api.add_exception_handler(ApplicationError, _on_application_error)
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(AuthenticationError, _on_http_error)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(Exception, _on_unexpected)
