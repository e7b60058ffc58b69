"""Reading a bulk top-up file: CSV rows checked one by one and grouped in chunks. No database.

The file is UTF-8 CSV; its first line names the columns `msisdn,amount_cents,reference` (any
order, any case, an optional byte-order mark), then one top-up per line; blank lines are
skipped. A line is read as bytes so that each chunk knows the byte offset where it starts and
ends: that is how an import resumes. Chunks are cut every `chunk_rows` rows, so the same file
read from the same boundary is cut the same way again.
"""

from __future__ import annotations

import csv
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from topup.subscribers import numbers

COLUMNS: Final = ("msisdn", "amount_cents", "reference")
MAX_AMOUNT_CENTS: Final = 100_000  # € 1,000.00 on one line in one row
MAX_LINE_BYTES: Final = 1_024
REFERENCE_MAX_CHARS: Final = 100

_E164_MOBILE = re.compile(r"\+324[5-9]\d{7}")  # already normalised: skip the slow parser
_AMOUNT = re.compile(r"[0-9]{1,9}")
# Starts with a letter or digit: echoed into the rejects CSV, it can never be a formula.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")
_SKIP_BLOCK_BYTES = 64 * 1024


class RejectReason(enum.StrEnum):
    MALFORMED_ROW = "malformed_row"
    INVALID_REFERENCE = "invalid_reference"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_NUMBER = "invalid_number"
    UNKNOWN_NUMBER = "unknown_number"
    LINE_NOT_ACTIVE = "line_not_active"
    LINE_HELD = "line_held"
    REFERENCE_REUSED = "reference_reused"


class NotATopupFile(ValueError):
    """The first line does not name the expected columns."""


@dataclass(frozen=True, slots=True)
class Row:
    """A well-formed row: an E.164 number, an amount within the limit, a valid reference."""

    line: int
    msisdn: str
    amount_cents: int
    reference: str


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reference: str  # empty when the reference itself is what is wrong
    reason: RejectReason


@dataclass(frozen=True)
class Columns:
    msisdn: int
    amount_cents: int
    reference: int


@dataclass(frozen=True)
class Chunk:
    start_offset: int  # bytes
    end_offset: int
    next_line: int  # the line number the next chunk starts at
    rows: list[Row]
    rejected: list[Rejected]

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.rejected)


def fields_of(raw: bytes) -> list[str] | None:
    """The comma-separated values of one line; None when it is not valid UTF-8 or CSV."""
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    if '"' not in text:
        return text.split(",")
    try:
        return next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration):
        return None


def header_read(stream: BinaryIO) -> tuple[Columns, int]:
    """The columns' positions and the header's length in bytes; NotATopupFile otherwise."""
    raw = stream.readline(MAX_LINE_BYTES + 1)
    fields = fields_of(raw.removeprefix(b"\xef\xbb\xbf"))
    names = [field.strip().lower() for field in fields or []]
    if sorted(names) != sorted(COLUMNS):
        raise NotATopupFile(",".join(names)[:200])
    return (
        Columns(
            msisdn=names.index("msisdn"),
            amount_cents=names.index("amount_cents"),
            reference=names.index("reference"),
        ),
        len(raw),
    )


def _msisdn(text: str) -> str | None:
    if _E164_MOBILE.fullmatch(text):
        return text
    try:
        return numbers.normalize_msisdn(text)
    except numbers.InvalidNumber:
        return None


def row_parse(raw: bytes, line: int, columns: Columns) -> Row | Rejected | None:
    """One line of the file: a row to credit, a rejected row, or None for a blank line."""
    if not raw.strip():
        return None
    fields = fields_of(raw)
    if fields is None or len(fields) != len(COLUMNS):
        return Rejected(line, "", RejectReason.MALFORMED_ROW)
    reference = fields[columns.reference].strip()
    if not _REFERENCE.fullmatch(reference):
        return Rejected(line, "", RejectReason.INVALID_REFERENCE)
    amount = fields[columns.amount_cents].strip()
    if not _AMOUNT.fullmatch(amount) or not 0 < int(amount) <= MAX_AMOUNT_CENTS:
        return Rejected(line, reference, RejectReason.INVALID_AMOUNT)
    msisdn = _msisdn(fields[columns.msisdn].strip())
    if msisdn is None:
        return Rejected(line, reference, RejectReason.INVALID_NUMBER)
    return Row(line, msisdn, int(amount), reference)


def _line_read(stream: BinaryIO) -> tuple[bytes | None, int]:
    """(the line, its length in bytes); the line is None when longer than the limit."""
    raw = stream.readline(MAX_LINE_BYTES + 1)
    if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
        return raw, len(raw)
    length = len(raw)
    while raw and not raw.endswith(b"\n"):
        raw = stream.readline(_SKIP_BLOCK_BYTES)
        length += len(raw)
    return None, length


def chunks_read(
    stream: BinaryIO, *, offset: int, line: int, columns: Columns, chunk_rows: int
) -> Iterator[Chunk]:
    """The file from `offset` (a chunk boundary) on, `chunk_rows` rows at a time."""
    stream.seek(offset)
    at_end = False
    while not at_end:
        start = offset
        rows: list[Row] = []
        rejected: list[Rejected] = []
        while len(rows) + len(rejected) < chunk_rows:
            raw, length = _line_read(stream)
            if length == 0:
                at_end = True
                break
            offset += length
            parsed = (
                Rejected(line, "", RejectReason.MALFORMED_ROW)
                if raw is None
                else row_parse(raw, line, columns)
            )
            line += 1
            if isinstance(parsed, Row):
                rows.append(parsed)
            elif parsed is not None:
                rejected.append(parsed)
        if offset > start:
            yield Chunk(start, offset, line, rows, rejected)
