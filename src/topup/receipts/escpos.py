"""The receipt as ESC/POS for thermal receipt printers, written with python-escpos commands.

Thermal printers have code pages, not UTF-8: python-escpos's magic encoder picks, character by
character, a code page of the printer profile that has it (so "€", "ç" and "ß" print) and emits
the ESC t switch. Most receipt printers have no CJK font, so a zh-hans receipt is printed with
English labels and a note that the PDF receipt is available in Chinese.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable
from typing import Final, Protocol
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from escpos.printer import Dummy

from topup.core.money import format_amount_for_locale
from topup.receipts.labels import channel_label, payment_method_label
from topup.receipts.model import Receipt
from topup.receipts.pdf import _format_issued_at, receipt_language

# Font A of python-escpos's default profile on 80 mm paper. 58 mm printers have 32 columns.
LINE_COLUMNS: Final = 42
MAX_RECEIPT_URL_LENGTH: Final = 512  # a QR code of version 20 or less stays readable at size 6
_QR_MODULE_SIZE: Final = 6
_LANGUAGES_WITHOUT_PRINTER_FONT: Final = frozenset({"zh-hans"})


class EscposCommands(Protocol):
    """The python-escpos printer commands this module uses (any `escpos.escpos.Escpos`)."""

    def hw(self, hw: str) -> None: ...
    def charcode(self, code: str = "AUTO") -> None: ...
    def set(
        self,
        *,
        align: str | None = None,
        bold: bool | None = None,
        normal_textsize: bool | None = None,
        double_height: bool | None = None,
        double_width: bool | None = None,
    ) -> None: ...
    def textln(self, txt: str = "") -> None: ...
    def qr(self, content: str, *, size: int, native: bool) -> None: ...
    def cut(self, mode: str = "FULL", feed: bool = True) -> None: ...


def escpos_language(language: str) -> str:
    """The language a printer can print: the product's language, or English for CJK ones."""
    language = receipt_language(language)
    return "en" if language in _LANGUAGES_WITHOUT_PRINTER_FONT else language


def receipt_render_escpos(
    *, receipt: Receipt, language: str, receipt_url: str | None = None
) -> bytes:
    """The complete print job (init, text, optional QR code, cut) as bytes for any printer."""
    device = Dummy()
    receipt_write_escpos(device=device, receipt=receipt, language=language, receipt_url=receipt_url)
    output: bytes = device.output
    return output


def receipt_write_escpos(
    *, device: EscposCommands, receipt: Receipt, language: str, receipt_url: str | None = None
) -> None:
    if receipt_url is not None:
        _check_receipt_url(receipt_url)
    requested = receipt_language(language)
    printed = escpos_language(requested)
    with translation.override(printed):
        escpos_begin(device)
        _write_header(device, receipt)
        _write_facts(device, receipt, printed)
        _write_amounts(device, receipt, printed)
        _write_footer(device, requested=requested, receipt_url=receipt_url)
        device.cut()


def escpos_begin(device: EscposCommands) -> None:
    """Reset the printer (ESC @) and let the magic encoder choose code pages per character."""
    device.hw("INIT")
    device.charcode("AUTO")


def escpos_title(device: EscposCommands, title: str, *, subtitle: str = "") -> None:
    device.set(align="center", bold=True, double_height=True, double_width=True)
    for line in textwrap.wrap(_printable(title), width=LINE_COLUMNS // 2) or [""]:
        device.textln(line)
    device.set(align="center", bold=False, normal_textsize=True)
    if subtitle:
        escpos_lines(device, [subtitle])
    device.set(align="left")


def escpos_lines(device: EscposCommands, lines: Iterable[str]) -> None:
    """Each text wrapped to the paper's width."""
    for text in lines:
        for line in textwrap.wrap(_printable(text), width=LINE_COLUMNS) or [""]:
            device.textln(line)


def escpos_row(device: EscposCommands, label: str, value: str, *, bold: bool = False) -> None:
    """A label on the left and its value on the right; a long value goes to its own lines."""
    label, value = _printable(label), _printable(value)
    if bold:
        device.set(bold=True)
    if len(label) + 1 + len(value) <= LINE_COLUMNS:
        device.textln(label + value.rjust(LINE_COLUMNS - len(label)))
    else:
        escpos_lines(device, [label])
        for line in textwrap.wrap(value, width=LINE_COLUMNS - 2) or [""]:
            device.textln(line.rjust(LINE_COLUMNS))
    if bold:
        device.set(bold=False)


def escpos_rule(device: EscposCommands) -> None:
    device.textln("-" * LINE_COLUMNS)


def _write_header(device: EscposCommands, receipt: Receipt) -> None:
    escpos_title(device, receipt.brand_name, subtitle=str(_("Receipt")))
    device.textln()
    operator = [receipt.operator_legal_name, receipt.operator_address]
    if receipt.operator_name not in {receipt.brand_name, receipt.operator_legal_name}:
        operator.insert(0, receipt.operator_name)
    operator.append(str(_("VAT number: %(number)s") % {"number": receipt.operator_vat_number}))
    escpos_lines(device, operator)
    device.textln()


def _write_facts(device: EscposCommands, receipt: Receipt, language: str) -> None:
    method = payment_method_label(receipt.payment_method)
    if receipt.payment_instrument_masked:
        method = f"{method} {receipt.payment_instrument_masked}"
    facts = (
        (_("Receipt number"), receipt.receipt_number),
        (_("Date"), _format_issued_at(receipt.issued_at, language)),
        (_("Mobile number"), receipt.msisdn),
        (_("Channel"), channel_label(receipt.channel)),
        (_("Payment method"), method),
        (_("Order reference"), receipt.order_id),
    )
    for label, value in facts:
        escpos_row(device, str(label), value)


def _write_amounts(device: EscposCommands, receipt: Receipt, language: str) -> None:
    escpos_rule(device)
    escpos_row(
        device,
        str(_("Amount excluding VAT")),
        format_amount_for_locale(receipt.net_cents, language),
    )
    escpos_row(
        device,
        str(_("VAT %(rate)s%%") % {"rate": receipt.vat_rate_percent}),
        format_amount_for_locale(receipt.vat_cents, language),
    )
    escpos_row(
        device,
        str(_("Total paid (VAT included)")),
        format_amount_for_locale(receipt.amount_cents, language),
        bold=True,
    )
    escpos_rule(device)


def _write_footer(device: EscposCommands, *, requested: str, receipt_url: str | None) -> None:
    footer = [
        str(
            _(
                "Prices include VAT. Keep this receipt: customer service asks for the receipt "
                "number if you have a question about this top-up."
            )
        )
    ]
    if requested in _LANGUAGES_WITHOUT_PRINTER_FONT:
        footer.append(
            str(
                _(
                    "Printed in English: this printer has no font for your language. "
                    "Ask for the PDF receipt in your language."
                )
            )
        )
    escpos_lines(device, footer)
    if receipt_url is not None:
        device.textln()
        device.set(align="center")
        device.textln(str(_("Your receipt online:")))
        # Native QR (GS ( k): the printer draws it, sharper and smaller than an image.
        device.qr(receipt_url, size=_QR_MODULE_SIZE, native=True)
        device.set(align="left")


def _printable(text: str) -> str:
    """Control characters become spaces: data must never become printer commands (ESC, GS)."""
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)


def _check_receipt_url(receipt_url: str) -> None:
    # A caller's bug, not a customer's mistake: fail loudly.
    parts = urlsplit(receipt_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"a receipt URL must be an absolute http(s) URL: {receipt_url!r}")
    if len(receipt_url) > MAX_RECEIPT_URL_LENGTH or not receipt_url.isascii():
        raise ValueError("a receipt URL must be ASCII and at most 512 characters")
