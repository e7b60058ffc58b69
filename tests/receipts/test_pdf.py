"""The PDF receipt: what a customer reads on it, in each of the product's languages."""

from __future__ import annotations

import pytest

from topup.receipts.pdf import receipt_render_pdf

from .factories import receipt_make
from .pdf_text import pdf_text

# € 1.234,56 paid: 21 % VAT inside is € 214,26, € 1.020,30 without VAT.
EXPECTED = {
    "nl": ("Ontvangstbewijs", "€1.234,56", "€214,26", "€1.020,30"),
    "fr": ("Reçu", "1234,56€", "214,26€", "1020,30€"),
    "de": ("Quittung", "1.234,56€", "214,26€", "1.020,30€"),
    "en": ("Receipt", "€1,234.56", "€214.26", "€1,020.30"),
    "zh-hans": ("收据", "€1,234.56", "€214.26", "€1,020.30"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_receipt_shows_number_amounts_and_vat_in_the_language(language: str) -> None:
    title, total, vat, net = EXPECTED[language]

    content = receipt_render_pdf(receipt=receipt_make(), language=language)

    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for expected in (title, "TU-2025-000042", total, vat, net, "BE0123456749", "+32470000001"):
        assert expected in text, (expected, text)
    assert "21%" in text
    assert "••••4242" in text


def test_the_same_receipt_renders_to_the_same_bytes() -> None:
    receipt = receipt_make()

    assert receipt_render_pdf(receipt=receipt, language="nl") == receipt_render_pdf(
        receipt=receipt, language="nl"
    )


def test_an_unknown_language_gets_english() -> None:
    text = pdf_text(receipt_render_pdf(receipt=receipt_make(), language="tlh"))

    assert "Receipt" in text and "€1,234.56" in text


def test_a_long_address_wraps_instead_of_running_off_the_page() -> None:
    receipt = receipt_make(operator_address="Boulevard " * 30 + "1000 Bruxelles")

    text = pdf_text(receipt_render_pdf(receipt=receipt, language="fr"))

    assert "1000Bruxelles" in text
