"""The settlement report format, parsed strictly and as a stream: one bad row refuses the file.

A payment provider's daily settlement report, as a CSV file in UTF-8 (a BOM is allowed):

    provider_payment_id,type,amount_cents,fee_cents,currency,settled_on
    sim_pay_abc123,capture,1000,39,EUR,2025-03-14
    sim_pay_abc123,refund,400,0,EUR,2025-03-14

- The first row is exactly this header; its separator (`,` or `;`) is the file's separator.
- `provider_payment_id`: the provider's id of the payment, 1-100 of `A-Z a-z 0-9 _ . : -`.
- `type`: `capture` (money taken from the customer) or `refund` (money given back).
- `amount_cents`: a positive whole number of euro cents, at most € 1,000,000.00 (digits only:
  no sign, no decimal point, no thousands separator).
- `fee_cents`: the provider's fee for this line, whole cents from 0 up to the line's amount.
- `currency`: `EUR`.
- `settled_on`: the day the provider booked the line, `YYYY-MM-DD` (Europe/Brussels).
- At most one line per (provider_payment_id, type, settled_on): a provider that refunds one
  payment twice in a day reports the sum. At most 200,000 lines, 20 MB and 31 different days.

Any broken rule refuses the whole file with the row number (the header is row 1) and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Final

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from topup.core.money import CURRENCY, MAX_AMOUNT_CENTS
from topup.finance.errors import SettlementReportInvalid, SettlementReportTooLarge
from topup.finance.models import SettlementLineType
from topup.ledger.domain import MAX_TRANSFER_CENTS

COLUMNS: Final = (
    "provider_payment_id",
    "type",
    "amount_cents",
    "fee_cents",
    "currency",
    "settled_on",
)
SEPARATORS: Final = (",", ";")
MAX_REPORT_BYTES: Final = 20 * 1024 * 1024  # SettlementReportTooLarge's message says 20 MB
MAX_REPORT_ROWS: Final = 200_000
MAX_REPORT_DAYS: Final = 31
_MAX_HEADER_CHARS: Final = 200

_PAYMENT_ID: Final = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")
_CENTS: Final = re.compile(r"^[0-9]{1,10}$")
_DAY: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TYPES: Final = frozenset(SettlementLineType.values)
# Bytes that are not UTF-8 are decoded as lone surrogates, so the row they are on is known.
_NOT_UTF8: Final = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class SettlementRow:
    row_number: int
    provider_payment_id: str
    line_type: str
    amount_cents: int
    fee_cents: int
    currency: str
    settled_on: dt.date


def settlement_refusal(*, row: int | None, reason: str | Promise) -> SettlementReportInvalid:
    """The error that refuses the file, saying where and why."""
    if row is None:
        message = gettext("%(reason)s. Nothing was imported: correct the file and try again.")
    else:
        message = gettext(
            "Row %(row)d: %(reason)s. Nothing was imported: correct the file and try again."
        )
    values: dict[str, str | int] = {"reason": str(reason)}
    if row is not None:
        values["row"] = row
    return SettlementReportInvalid(message % values, details={"row": row, "reason": str(reason)})


def _separator(header: str) -> str:
    line = header.removesuffix("\n").removesuffix("\r")
    for separator in SEPARATORS:
        if line == separator.join(COLUMNS):
            return separator
    reason = _("the first row must be the header %(header)s") % {"header": ",".join(COLUMNS)}
    raise settlement_refusal(row=1, reason=reason)


def _cents(text: str, column: str, *, row: int) -> int:
    if not _CENTS.match(text):
        reason = _("%(column)s must be whole cents, digits only") % {"column": column}
        raise settlement_refusal(row=row, reason=reason)
    return int(text)


def _day(text: str, *, row: int) -> dt.date:
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise settlement_refusal(
            row=row, reason=_("settled_on must be a day written YYYY-MM-DD")
        ) from None


def _row(fields: list[str], *, row: int) -> SettlementRow:
    if len(fields) != len(COLUMNS):
        reason = _("expected %(expected)d fields, found %(found)d") % {
            "expected": len(COLUMNS),
            "found": len(fields),
        }
        raise settlement_refusal(row=row, reason=reason)
    if any(_NOT_UTF8.search(field) for field in fields):
        raise settlement_refusal(row=row, reason=_("the row is not UTF-8 text"))
    payment_id, line_type, amount_text, fee_text, currency, day_text = fields
    if not _PAYMENT_ID.match(payment_id):
        raise settlement_refusal(
            row=row, reason=_("provider_payment_id is empty, too long or has other characters")
        )
    if line_type not in _TYPES:
        raise settlement_refusal(row=row, reason=_("type must be capture or refund"))
    amount_cents = _cents(amount_text, "amount_cents", row=row)
    if not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise settlement_refusal(
            row=row, reason=_("amount_cents must be above 0 and at most 100000000")
        )
    fee_cents = _cents(fee_text, "fee_cents", row=row)
    if fee_cents > amount_cents:
        raise settlement_refusal(row=row, reason=_("fee_cents is larger than amount_cents"))
    if currency != CURRENCY:
        raise settlement_refusal(row=row, reason=_("currency must be EUR"))
    return SettlementRow(
        row, payment_id, line_type, amount_cents, fee_cents, currency, _day(day_text, row=row)
    )


def settlement_rows_parse(
    stream: IO[bytes], *, max_rows: int = MAX_REPORT_ROWS
) -> Iterator[SettlementRow]:
    """Each data row of the stream in order; raises SettlementReportInvalid at the first bad one."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    row = 1
    try:
        header = text.readline(_MAX_HEADER_CHARS)
        reader = csv.reader(text, delimiter=_separator(header), strict=True)
        for fields in reader:
            row += 1
            if row - 1 > max_rows:
                reason = _("the file has more than %(limit)d rows") % {"limit": max_rows}
                raise settlement_refusal(row=row, reason=reason)
            if not fields:
                raise settlement_refusal(row=row, reason=_("the row is empty"))
            yield _row(fields, row=row)
    except csv.Error as error:
        reason = _("the row is not valid CSV (%(error)s)") % {"error": str(error)}
        raise settlement_refusal(row=row + 1, reason=reason) from None
    finally:
        text.detach()


def _report_checks(rows: list[SettlementRow]) -> None:
    if not rows:
        raise settlement_refusal(row=None, reason=_("The file has no lines after the header"))
    seen: set[tuple[str, str, dt.date]] = set()
    for parsed in rows:
        key = (parsed.provider_payment_id, parsed.line_type, parsed.settled_on)
        if key in seen:
            reason = _("this payment already has a %(type)s line for %(day)s") % {
                "type": parsed.line_type,
                "day": parsed.settled_on.isoformat(),
            }
            raise settlement_refusal(row=parsed.row_number, reason=reason)
        seen.add(key)
    if len({parsed.settled_on for parsed in rows}) > MAX_REPORT_DAYS:
        reason = _("The file covers more than %(limit)d different days") % {
            "limit": MAX_REPORT_DAYS
        }
        raise settlement_refusal(row=None, reason=reason)
    if sum(parsed.fee_cents for parsed in rows) > MAX_TRANSFER_CENTS:
        raise settlement_refusal(row=None, reason=_("The fees add up to more than € 1,000,000.00"))


def settlement_report_parse(*, content: bytes) -> list[SettlementRow]:
    """Every row of a whole report, checked line by line and as a whole (size, duplicates)."""
    if len(content) > MAX_REPORT_BYTES:
        raise SettlementReportTooLarge(details={"max_bytes": MAX_REPORT_BYTES})
    rows = list(settlement_rows_parse(io.BytesIO(content)))
    _report_checks(rows)
    return rows
