"""The Z report of a till close: what a manager reads on the PDF and on the till slip."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topup.core.money import MAX_AMOUNT_CENTS, format_amount_for_locale
from topup.receipts.errors import PrinterUnavailable
from topup.receipts.printers import DummyPrinter, PrinterStatus
from topup.receipts.zreport import (
    ZReport,
    ZReportMethodTotal,
    zreport_print,
    zreport_render_escpos,
    zreport_render_pdf,
)

from .escpos_text import CUT, ESC_INIT, escpos_text
from .pdf_text import pdf_text


def make(**changes: object) -> ZReport:
    report = ZReport(
        shop_name="Brussels Central",
        shop_code="bru-central",
        agent="Anna Agent",
        closed_at=dt.datetime(2025, 11, 25, 18, 30, tzinfo=dt.UTC),
        z_report_number="Z-bru-central-000017",
        sales_by_method=(
            ZReportMethodTotal(method="cash", count=12, total_cents=34500),
            ZReportMethodTotal(method="card", count=5, total_cents=12000),
        ),
        voids_count=1,
        voids_total_cents=1500,
        expected_cents=33000,
        counted_cents=32850,
        difference_cents=-150,
        first_receipt_number="TU-2025-000101",
        last_receipt_number="TU-2025-000118",
    )
    return dataclasses.replace(report, **changes)  # type: ignore[arg-type]


# Sales (€ 465,00 in 17), voids as a deduction, expected, counted, and the € 1,50 missing.
EXPECTED = {
    "nl": ("€465,00", "€-15,00", "€330,00", "€328,50", "€-1,50"),
    "fr": ("465,00€", "-15,00€", "330,00€", "328,50€", "-1,50€"),
    "de": ("465,00€", "-15,00€", "330,00€", "328,50€", "-1,50€"),
    "en": ("€465.00", "-€15.00", "€330.00", "€328.50", "-€1.50"),
    "zh-hans": ("€465.00", "-€15.00", "€330.00", "€328.50", "-€1.50"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_z_report_pdf_shows_totals_and_the_difference(language: str) -> None:
    content = zreport_render_pdf(report=make(), language=language)

    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for expected in EXPECTED[language]:
        assert expected in text, (expected, text)
    for expected in ("Z-bru-central-000017", "TU-2025-000101", "TU-2025-000118", "AnnaAgent"):
        assert expected in text


def test_the_same_z_report_renders_to_the_same_pdf() -> None:
    assert zreport_render_pdf(report=make(), language="nl") == zreport_render_pdf(
        report=make(), language="nl"
    )


def test_a_till_without_sales_still_closes() -> None:
    report = make(
        sales_by_method=(),
        voids_count=0,
        voids_total_cents=0,
        expected_cents=0,
        counted_cents=0,
        difference_cents=0,
        first_receipt_number="",
        last_receipt_number="",
    )

    text = pdf_text(zreport_render_pdf(report=report, language="en"))

    assert "€0.00" in text


def test_the_difference_must_be_counted_minus_expected() -> None:
    with pytest.raises(ValueError, match="difference"):
        make(difference_cents=150)


def test_negative_counts_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        make(voids_count=-1)
    with pytest.raises(ValueError):
        make(closed_at=dt.datetime(2025, 11, 25, 18, 30))


def test_the_z_report_prints_on_the_receipt_printer() -> None:
    printer = DummyPrinter()

    result = zreport_print(report=make(), printer=printer, language="nl")

    output = printer.output
    assert result.bytes_sent == len(output)
    assert output.startswith(ESC_INIT) and output.count(CUT) == 1
    text = escpos_text(output)
    assert "Z-bru-central-000017" in text
    assert "€\xa0-1,50" in text
    assert "€\xa0465,00" in text
    assert output == zreport_render_escpos(report=make(), language="nl")


def test_a_z_report_on_a_printer_out_of_paper_is_unavailable() -> None:
    printer = DummyPrinter(simulated_status=PrinterStatus.OUT_OF_PAPER)

    with pytest.raises(PrinterUnavailable):
        zreport_print(report=make(), printer=printer, language="en")


@settings(max_examples=25, deadline=None)
@given(
    expected_cents=st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS),
    counted_cents=st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS),
    cash=st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS),
    agent=st.text(max_size=60),
)
def test_any_z_report_renders(
    expected_cents: int, counted_cents: int, cash: int, agent: str
) -> None:
    report = make(
        agent=agent,
        sales_by_method=(ZReportMethodTotal(method="cash", count=3, total_cents=cash),),
        expected_cents=expected_cents,
        counted_cents=counted_cents,
        difference_cents=counted_cents - expected_cents,
    )

    text = pdf_text(zreport_render_pdf(report=report, language="en"))
    difference = format_amount_for_locale(counted_cents - expected_cents, "en")
    assert "".join(difference.split()) in text
    assert zreport_render_escpos(report=report, language="en").count(CUT) == 1
