"""The Z report of a till close: what was sold, voided, expected and counted; PDF or ESC/POS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from escpos.printer import Dummy
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from topup.core.money import MAX_AMOUNT_CENTS, format_amount_for_locale
from topup.receipts.escpos import (
    EscposCommands,
    escpos_begin,
    escpos_language,
    escpos_lines,
    escpos_row,
    escpos_rule,
    escpos_title,
)
from topup.receipts.labels import payment_method_label
from topup.receipts.pdf import (
    _A5_MM,
    _FONT_FAMILY,
    _font_path,
    _format_issued_at,
    receipt_language,
)
from topup.receipts.printers import PrintResult, ReceiptPrinter

MAX_METHODS: Final = 20
# A day's takings at one counter stay far below this; the bound catches unit mix-ups.
MAX_TOTAL_CENTS: Final = 100 * MAX_AMOUNT_CENTS


@dataclass(frozen=True)
class ZReportMethodTotal:
    method: str  # a payment method code: "cash", "card"
    count: int
    total_cents: int


@dataclass(frozen=True)
class ZReport:
    """One till close. The cash figures are about the cash drawer only; cards settle elsewhere."""

    shop_name: str
    shop_code: str
    agent: str
    closed_at: datetime
    z_report_number: str
    sales_by_method: tuple[ZReportMethodTotal, ...]
    voids_count: int
    voids_total_cents: int
    expected_cents: int
    counted_cents: int
    difference_cents: int  # counted - expected: negative is cash missing
    first_receipt_number: str = ""  # empty when nothing was sold
    last_receipt_number: str = ""

    def __post_init__(self) -> None:
        if self.closed_at.tzinfo is None:
            raise ValueError("a Z report's close time must be timezone-aware")
        if len(self.sales_by_method) > MAX_METHODS:
            raise ValueError("too many payment methods on one Z report")
        counts = [line.count for line in self.sales_by_method] + [self.voids_count]
        totals = [line.total_cents for line in self.sales_by_method]
        totals += [self.voids_total_cents, self.counted_cents]
        if any(count < 0 for count in counts) or any(
            not 0 <= total <= MAX_TOTAL_CENTS for total in totals
        ):
            raise ValueError("Z report counts and totals are between 0 and their bound")
        if abs(self.expected_cents) > MAX_TOTAL_CENTS:
            raise ValueError("expected cash out of bounds")
        if self.difference_cents != self.counted_cents - self.expected_cents:
            raise ValueError("the difference is the counted cash minus the expected cash")

    @property
    def sales_count(self) -> int:
        return sum(line.count for line in self.sales_by_method)

    @property
    def sales_total_cents(self) -> int:
        return sum(line.total_cents for line in self.sales_by_method)


def zreport_render_pdf(*, report: ZReport, language: str) -> bytes:
    language = receipt_language(language)
    with translation.override(language):
        pdf = _new_document(report, language)
        _pdf_header(pdf, report, language)
        _pdf_sales(pdf, report, language)
        _pdf_cash(pdf, report, language)
        return bytes(pdf.output())


def zreport_render_escpos(*, report: ZReport, language: str) -> bytes:
    device = Dummy()
    zreport_write_escpos(device=device, report=report, language=language)
    output: bytes = device.output
    return output


def zreport_print(*, report: ZReport, printer: ReceiptPrinter, language: str) -> PrintResult:
    """Print the Z report on the counter's receipt printer; raises `PrinterUnavailable`."""
    return printer.print_job(content=zreport_render_escpos(report=report, language=language))


def zreport_write_escpos(*, device: EscposCommands, report: ZReport, language: str) -> None:
    language = escpos_language(language)
    with translation.override(language):
        escpos_begin(device)
        escpos_title(
            device, str(_("Z report")), subtitle=f"{report.shop_name} ({report.shop_code})"
        )
        device.textln()
        for label, value in _facts(report, language):
            escpos_row(device, label, value)
        escpos_rule(device)
        for label, value in _sales_rows(report, language):
            escpos_row(device, label, value)
        escpos_rule(device)
        for label, value in _cash_rows(report, language):
            escpos_row(device, label, value, bold=label == str(_("Difference")))
        escpos_rule(device)
        escpos_lines(device, [str(_("Agent signature:")), "", "", "_" * 24])
        device.cut()


def _facts(report: ZReport, language: str) -> list[tuple[str, str]]:
    none = "-"
    return [
        (str(_("Z report number")), report.z_report_number),
        (str(_("Closed at")), _format_issued_at(report.closed_at, language)),
        (str(_("Agent")), report.agent),
        (str(_("First receipt")), report.first_receipt_number or none),
        (str(_("Last receipt")), report.last_receipt_number or none),
    ]


def _sales_rows(report: ZReport, language: str) -> list[tuple[str, str]]:
    rows = []
    for line in report.sales_by_method:
        method = payment_method_label(line.method)
        rows.append(
            (f"{method} ({line.count})", format_amount_for_locale(line.total_cents, language))
        )
    rows.append(
        (
            "{} ({})".format(_("Total sales"), report.sales_count),
            format_amount_for_locale(report.sales_total_cents, language),
        )
    )
    rows.append(
        (
            "{} ({})".format(_("Voids"), report.voids_count),
            format_amount_for_locale(-report.voids_total_cents, language),
        )
    )
    return rows


def _cash_rows(report: ZReport, language: str) -> list[tuple[str, str]]:
    return [
        (str(_("Cash expected")), format_amount_for_locale(report.expected_cents, language)),
        (str(_("Cash counted")), format_amount_for_locale(report.counted_cents, language)),
        (str(_("Difference")), format_amount_for_locale(report.difference_cents, language)),
    ]


def _new_document(report: ZReport, language: str) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format=_A5_MM)
    pdf.set_margins(left=12, top=12, right=12)
    pdf.set_auto_page_break(auto=True, margin=12)
    # The close time, not "now": the same report always renders to the same bytes.
    pdf.set_creation_date(report.closed_at)
    pdf.set_lang(language)
    pdf.set_title("{} {}".format(_("Z report"), report.z_report_number))
    pdf.set_author(report.shop_name)
    pdf.add_font(_FONT_FAMILY, fname=_font_path())
    pdf.add_page()
    return pdf


def _pdf_header(pdf: FPDF, report: ZReport, language: str) -> None:
    pdf.set_font(_FONT_FAMILY, size=18)
    pdf.cell(text=str(_("Z report")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT_FAMILY, size=12)
    pdf.multi_cell(
        w=0,
        h=6,
        text=f"{report.shop_name} ({report.shop_code})",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    pdf.set_font(_FONT_FAMILY, size=10)
    for label, value in _facts(report, language):
        pdf.cell(w=46, h=6, text=label)
        pdf.multi_cell(w=0, h=6, text=value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _pdf_sales(pdf: FPDF, report: ZReport, language: str) -> None:
    _pdf_section(pdf, str(_("Sales")))
    for label, amount in _sales_rows(report, language):
        _pdf_amount_row(pdf, label, amount, height=6)
    pdf.ln(3)


def _pdf_cash(pdf: FPDF, report: ZReport, language: str) -> None:
    _pdf_section(pdf, str(_("Cash drawer")))
    rows = _cash_rows(report, language)
    for label, amount in rows[:-1]:
        _pdf_amount_row(pdf, label, amount, height=6)
    pdf.set_font(_FONT_FAMILY, size=13)
    label, amount = rows[-1]
    _pdf_amount_row(pdf, label, amount, height=9)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_font(_FONT_FAMILY, size=10)


def _pdf_section(pdf: FPDF, title: str) -> None:
    pdf.set_font(_FONT_FAMILY, size=12)
    pdf.cell(text=title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(120)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(_FONT_FAMILY, size=10)


def _pdf_amount_row(pdf: FPDF, label: str, amount: str, *, height: float) -> None:
    pdf.cell(w=pdf.epw * 0.65, h=height, text=label)
    pdf.cell(w=0, h=height, text=amount, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
