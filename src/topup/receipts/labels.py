"""The words for channels and payment methods: one set for receipts, slips and every page."""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CHANNEL_LABELS: Final[dict[str, str | Promise]] = {
    "online": _("Online"),
    "shop": _("Shop counter"),
    "kiosk": _("Self-service kiosk"),
}
PAYMENT_METHOD_LABELS: Final[dict[str, str | Promise]] = {
    "card": _("Visa / Mastercard"),
    "bancontact": _("Bancontact"),
    "alipay": _("Alipay"),
    "wechat_pay": _("WeChat Pay"),
    "sepa_direct_debit": _("SEPA direct debit"),
    "cash": _("Cash"),
}


def channel_label(code: str) -> str:
    return str(CHANNEL_LABELS.get(code, code))


def payment_method_label(code: str) -> str:
    return str(PAYMENT_METHOD_LABELS.get(code, code))
