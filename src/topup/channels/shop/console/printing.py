"""Which receipt printer stands at a shop's counter: setting TOPUP_SHOP_PRINTERS, shop code →
printer URL (`tcp://HOST[:PORT]`, `file:///dev/usb/lp0`, `dummy:`); `dummy:` when not set.
"""

from __future__ import annotations

from django.conf import settings

from topup.catalog.models import Shop
from topup.receipts import printers
from topup.receipts.printers import ReceiptPrinter

DEFAULT_PRINTER_URL = "dummy:"


def console_printer_url(*, shop: Shop) -> str:
    configured = getattr(settings, "TOPUP_SHOP_PRINTERS", None) or {}
    url = configured.get(shop.code, DEFAULT_PRINTER_URL) if isinstance(configured, dict) else ""
    return str(url or DEFAULT_PRINTER_URL)


def console_printer_for(*, shop: Shop) -> ReceiptPrinter:
    # Looked up through the module, so a test can hand in its own DummyPrinter and read its bytes.
    return printers.printer_from_url(console_printer_url(shop=shop))
