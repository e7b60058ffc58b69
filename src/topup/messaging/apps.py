"""The messaging app; checks at start-up that the configured SMS gateway exists."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks


class MessagingConfig(AppConfig):
    name = "topup.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(sms_gateway_check)


def sms_gateway_check(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[checks.CheckMessage]:
    from topup.messaging.gateways import sms_gateway_names

    if app_configs is not None and apps.get_app_config("messaging") not in app_configs:
        return []
    name = str(getattr(settings, "TOPUP_SMS_GATEWAY", ""))
    if name in sms_gateway_names():
        return []
    return [
        checks.Error(
            f"TOPUP_SMS_GATEWAY={name!r} is not a registered SMS gateway.",
            hint=f"Use one of: {', '.join(sms_gateway_names())}.",
            id="messaging.E001",
        )
    ]
