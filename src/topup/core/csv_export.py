"""CSV exports a spreadsheet opens safely: formula guard, and `;` with a decimal comma for nl/fr/de.

One convention for every export (the customer's history, the finance reports): UTF-8 with a BOM
so Excel reads accents and Chinese, CRLF line ends, "," and a decimal point in English and
Chinese, ";" and a decimal comma in Dutch, French and German (what Belgian Excel expects).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Final

from django.utils.functional import Promise

from topup.core.money import format_amount

DECIMAL_COMMA_LANGUAGES: Final = frozenset({"nl", "fr", "de"})
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def csv_decimal_comma(language: str) -> bool:
    """Whether this language's spreadsheets expect ";" and a decimal comma."""
    return language.lower() in DECIMAL_COMMA_LANGUAGES


def csv_cell(value: str) -> str:
    """Spreadsheets run cells that start like a formula: a leading ' keeps them as text.

    A plain number (an amount such as -12,34) is no formula and stays a number.
    """
    if value.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return f"'{value}"
    return value


def csv_amount(amount_cents: int, *, decimal_comma: bool) -> str:
    """Euros with two decimals ("-1234.56", or "-1234,56" with a decimal comma)."""
    text = format_amount(amount_cents)
    return text.replace(".", ",") if decimal_comma else text


def csv_document(
    *,
    header: Sequence[str | Promise],
    rows: Iterable[Sequence[str]],
    decimal_comma: bool,
) -> bytes:
    """The whole file: BOM, header and rows, every cell through the formula guard."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";" if decimal_comma else ",", lineterminator="\r\n")
    writer.writerow([csv_cell(str(label)) for label in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")
