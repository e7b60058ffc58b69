"""The receipt as a PDF (A5, one page), with labels in the customer's language."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

import pylopdf_fonts_zh_cn
from babel.dates import format_datetime
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from topup.core.money import format_amount_for_locale
from topup.receipts.labels import channel_label, payment_method_label
from topup.receipts.model import Receipt

# fontTools logs every subsetting step at INFO; that is noise in the request log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# Noto Sans SC has Latin, the euro sign and the CJK ideographs, so one font serves every
# language and the PDF embeds only the glyphs it uses (a few kilobytes).
_FONT_FAMILY: Final = "NotoSansSC"
_BABEL_LOCALES: Final = {
    "nl": "nl_BE",
    "fr": "fr_BE",
    "de": "de_BE",
    "en": "en_IE",
    "zh-hans": "zh_Hans_CN",
}
_LABEL_WIDTH_MM: Final = 46
_A5_MM: Final = (148.0, 210.0)


@cache
def _font_path() -> str:
    return str(pylopdf_fonts_zh_cn.sans_path())


def receipt_language(language: str) -> str:
    """One of the product's languages; anything else gets English."""
    code = language.lower()
    supported = {code for code, _name in settings.LANGUAGES}
    return code if code in supported else "en"


def receipt_render_pdf(*, receipt: Receipt, language: str) -> bytes:
    language = receipt_language(language)
    with translation.override(language):
        pdf = _new_document(receipt, language)
        _write_header(pdf, receipt)
        _write_facts(pdf, receipt, language)
        _write_amounts(pdf, receipt, language)
        _write_footer(pdf)
        return bytes(pdf.output())


def _new_document(receipt: Receipt, language: str) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format=_A5_MM)
    pdf.set_margins(left=12, top=12, right=12)
    pdf.set_auto_page_break(auto=True, margin=12)
    # The issue time, not "now": the same receipt always renders to the same bytes.
    pdf.set_creation_date(receipt.issued_at)
    pdf.set_lang(language)
    title = str(_("Receipt"))
    pdf.set_title(f"{title} {receipt.receipt_number}")
    pdf.set_author(receipt.operator_legal_name)
    pdf.set_creator(receipt.brand_name)
    pdf.add_font(_FONT_FAMILY, fname=_font_path())
    pdf.add_page()
    return pdf


def _write_header(pdf: FPDF, receipt: Receipt) -> None:
    pdf.set_font(_FONT_FAMILY, size=18)
    pdf.cell(text=receipt.brand_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT_FAMILY, size=14)
    pdf.cell(text=str(_("Receipt")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(_FONT_FAMILY, size=9)
    vat_number = str(_("VAT number: %(number)s") % {"number": receipt.operator_vat_number})
    for line in (receipt.operator_legal_name, receipt.operator_address, vat_number):
        pdf.multi_cell(w=0, h=4.5, text=line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _write_facts(pdf: FPDF, receipt: Receipt, language: str) -> None:
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
    pdf.set_font(_FONT_FAMILY, size=10)
    for label, value in facts:
        pdf.cell(w=_LABEL_WIDTH_MM, h=6, text=str(label))
        pdf.multi_cell(w=0, h=6, text=value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _write_amounts(pdf: FPDF, receipt: Receipt, language: str) -> None:
    rows = (
        (str(_("Amount excluding VAT")), receipt.net_cents),
        (str(_("VAT %(rate)s%%") % {"rate": receipt.vat_rate_percent}), receipt.vat_cents),
    )
    pdf.set_draw_color(120)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(_FONT_FAMILY, size=10)
    for label, amount_cents in rows:
        _amount_row(pdf, label, format_amount_for_locale(amount_cents, language), height=6)
    pdf.set_font(_FONT_FAMILY, size=13)
    total = format_amount_for_locale(receipt.amount_cents, language)
    _amount_row(pdf, str(_("Total paid (VAT included)")), total, height=9)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)


def _amount_row(pdf: FPDF, label: str, amount: str, *, height: float) -> None:
    pdf.cell(w=pdf.epw * 0.65, h=height, text=label)
    pdf.cell(w=0, h=height, text=amount, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _write_footer(pdf: FPDF) -> None:
    pdf.set_font(_FONT_FAMILY, size=8)
    pdf.multi_cell(
        w=0,
        h=4,
        text=str(
            _(
                "Prices include VAT. Keep this receipt: customer service asks for the receipt "
                "number if you have a question about this top-up."
            )
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _format_issued_at(issued_at: datetime, language: str) -> str:
    return format_datetime(
        issued_at,
        format="medium",
        tzinfo=ZoneInfo(settings.TIME_ZONE),
        locale=_BABEL_LOCALES.get(language, "en_IE"),
    )
