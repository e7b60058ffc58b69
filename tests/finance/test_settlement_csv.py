"""The settlement report parser: what it accepts comes back exactly; anything broken is refused
with the row and the reason, and never with another exception."""

from __future__ import annotations

import datetime as dt
import io

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from topup.finance.errors import SettlementReportInvalid, SettlementReportTooLarge
from topup.finance.settlement_csv import (
    COLUMNS,
    MAX_REPORT_BYTES,
    MAX_REPORT_DAYS,
    SettlementRow,
    settlement_report_parse,
    settlement_rows_parse,
)

payment_ids = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-",
    min_size=1,
    max_size=100,
)
days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 1, 20))


@st.composite
def rows(draw: st.DrawFn) -> list[SettlementRow]:
    """Valid, distinct lines (numbered from row 2, the header being row 1)."""
    drawn = draw(
        st.lists(
            st.tuples(
                payment_ids,
                st.sampled_from(["capture", "refund"]),
                st.integers(min_value=1, max_value=100_000_000),
                days,
            ),
            min_size=1,
            max_size=30,
            unique_by=lambda t: (t[0], t[1], t[3]),
        )
    )
    result = []
    for number, (payment_id, line_type, amount, day) in enumerate(drawn, start=2):
        # Fees stay within what one report may total (tested on its own below).
        fee = draw(st.integers(min_value=0, max_value=min(amount, 3_000_000)))
        result.append(SettlementRow(number, payment_id, line_type, amount, fee, "EUR", day))
    return result


def _file(parsed: list[SettlementRow], *, separator: str = ",", newline: str = "\n") -> bytes:
    lines = [separator.join(COLUMNS)]
    lines.extend(
        separator.join(
            [
                row.provider_payment_id,
                row.line_type,
                str(row.amount_cents),
                str(row.fee_cents),
                row.currency,
                row.settled_on.isoformat(),
            ]
        )
        for row in parsed
    )
    return (newline.join(lines) + newline).encode("utf-8")


def _refused(content: bytes) -> SettlementReportInvalid:
    with pytest.raises(SettlementReportInvalid) as excinfo:
        settlement_report_parse(content=content)
    assert excinfo.value.code == "settlement_report_invalid"
    assert excinfo.value.http_status == 422
    return excinfo.value


@given(rows(), st.sampled_from([",", ";"]), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_every_valid_report_comes_back_exactly(
    parsed: list[SettlementRow], separator: str, newline: str, bom: bool
) -> None:
    content = _file(parsed, separator=separator, newline=newline)
    if bom:
        content = "\ufeff".encode() + content
    assert settlement_report_parse(content=content) == parsed


_BREAKS = {
    "provider_payment_id": ["", "a b", "x" * 101, "=cmd|' /C calc'!A0", "é"],
    "type": ["Capture", "chargeback", ""],
    "amount_cents": ["0", "-100", "10.00", "1,000", "100000001", " 100", ""],
    "fee_cents": ["-1", "1.5", "", "abc"],
    "currency": ["USD", "eur", ""],
    "settled_on": ["2024-02-30", "14/03/2024", "20240314", ""],
}


@settings(max_examples=150)
@given(rows(), st.data())
def test_one_broken_field_refuses_the_file_at_its_row(
    parsed: list[SettlementRow], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(parsed) - 1))
    column = data.draw(st.sampled_from(COLUMNS))
    bad_value = data.draw(st.sampled_from(_BREAKS[column]))
    lines = _file(parsed).decode().splitlines()
    fields = lines[index + 1].split(",")
    fields[COLUMNS.index(column)] = bad_value
    lines[index + 1] = ",".join(fields)

    error = _refused(("\n".join(lines) + "\n").encode())

    assert error.details["row"] == index + 2
    assert f"Row {index + 2}:" in str(error.message)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_any_bytes_are_parsed_or_refused_never_crash(content: bytes) -> None:
    try:
        parsed = settlement_report_parse(content=content)
    except SettlementReportInvalid as error:
        assert error.details["reason"]
    else:
        assert parsed


@given(rows())
def test_a_fee_above_the_amount_is_refused(parsed: list[SettlementRow]) -> None:
    first = parsed[0]
    broken = SettlementRow(
        first.row_number,
        first.provider_payment_id,
        first.line_type,
        first.amount_cents,
        first.amount_cents + 1,
        "EUR",
        first.settled_on,
    )
    error = _refused(_file([broken, *parsed[1:]]))
    assert error.details["row"] == 2


def test_the_header_must_be_the_documented_one() -> None:
    error = _refused(b"id,type,amount,fee,currency,day\nx,capture,1,0,EUR,2024-01-01\n")
    assert error.details["row"] == 1
    assert "provider_payment_id,type,amount_cents,fee_cents,currency,settled_on" in str(
        error.message
    )


def test_a_line_repeated_for_the_same_payment_type_and_day_is_refused() -> None:
    error = _refused(
        b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n"
        b"p1,capture,100,1,EUR,2024-01-01\n"
        b"p1,refund,100,0,EUR,2024-01-01\n"
        b"p1,capture,100,1,EUR,2024-01-01\n"
    )
    assert error.details["row"] == 4


def test_mixed_separators_a_missing_field_or_an_empty_row_are_refused() -> None:
    header = b"provider_payment_id;type;amount_cents;fee_cents;currency;settled_on\n"
    assert _refused(header + b"p1,capture,100,1,EUR,2024-01-01\n").details["row"] == 2
    assert _refused(header + b"p1;capture;100;1;EUR\n").details["row"] == 2
    empty_row = header + b"p1;capture;100;1;EUR;2024-01-01\n\np2;capture;100;1;EUR;2024-01-01\n"
    assert _refused(empty_row).details["row"] == 3


def test_bytes_that_are_not_utf8_are_refused_at_their_row() -> None:
    content = (
        b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n"
        b"p1,capture,100,1,EUR,2024-01-01\n"
        b"p\xff2,capture,100,1,EUR,2024-01-01\n"
    )
    error = _refused(content)
    assert error.details == {"row": 3, "reason": "the row is not UTF-8 text"}


def test_a_file_without_lines_is_refused() -> None:
    error = _refused(b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n")
    assert error.details["row"] is None
    assert _refused(b"").details["row"] == 1


def test_the_limits_on_rows_size_and_days() -> None:
    line = b"p%d,capture,100,1,EUR,2024-01-01\n"
    content = b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n" + b"".join(
        line % number for number in range(4)
    )
    with pytest.raises(SettlementReportInvalid) as excinfo:
        list(settlement_rows_parse(io.BytesIO(content), max_rows=3))
    assert excinfo.value.details["row"] == 5

    with pytest.raises(SettlementReportTooLarge) as too_big:
        settlement_report_parse(content=b"x" * (MAX_REPORT_BYTES + 1))
    assert too_big.value.code == "settlement_report_too_large"
    assert f"{MAX_REPORT_BYTES // 2**20} MB" in str(too_big.value.message)

    many_days = b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n" + b"".join(
        b"p,capture,100,1,EUR,%s\n"
        % (dt.date(2024, 1, 1) + dt.timedelta(days=n)).isoformat().encode()
        for n in range(MAX_REPORT_DAYS + 1)
    )
    assert _refused(many_days).details["row"] is None


def test_fees_adding_up_to_more_than_one_transfer_may_move_are_refused() -> None:
    header = b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n"
    lines = (
        b"p1,capture,100000000,60000000,EUR,2024-01-01\n"
        b"p2,capture,100000000,40000000,EUR,2024-01-01\n"
    )
    assert len(settlement_report_parse(content=header + lines)) == 2
    error = _refused(header + lines.replace(b"40000000,EUR", b"40000001,EUR"))
    assert error.details["row"] is None
    assert "fees add up" in str(error.message)


def test_a_field_too_long_for_csv_is_refused_not_crashed() -> None:
    content = (
        b"provider_payment_id,type,amount_cents,fee_cents,currency,settled_on\n"
        + b"p" * 300_000
        + b",capture,100,1,EUR,2024-01-01\n"
    )
    assert _refused(content).details["row"] == 2
