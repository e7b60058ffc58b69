"""Which SMS gateway is in use: a registry of factories chosen by `settings.TOPUP_SMS_GATEWAY`."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from topup.messaging.outbox import OutboxGateway
from topup.messaging.ports import SmsGateway

SmsGatewayFactory = Callable[[], SmsGateway]

_FACTORIES: dict[str, SmsGatewayFactory] = {"outbox": OutboxGateway}


def sms_gateway_register(*, name: str, factory: SmsGatewayFactory) -> None:
    """Make a gateway selectable by name (real providers, and failing fakes in tests)."""
    _FACTORIES[name] = factory


def sms_gateway_unregister(*, name: str) -> None:
    if name == "outbox":
        raise ValueError("the outbox gateway is built in and cannot be removed")
    _FACTORIES.pop(name, None)


def sms_gateway_names() -> list[str]:
    return sorted(_FACTORIES)


def sms_gateway_configured() -> SmsGateway:
    name = str(settings.TOPUP_SMS_GATEWAY)
    try:
        factory = _FACTORIES[name]
    except KeyError as error:
        raise LookupError(f"TOPUP_SMS_GATEWAY={name!r} is not a registered SMS gateway") from error
    return factory()
