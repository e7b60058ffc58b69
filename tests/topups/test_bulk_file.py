"""Reading a bulk top-up file: rows checked one by one, chunks that resume alike. No database."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topup.topups.bulk_file import (
    MAX_LINE_BYTES,
    Columns,
    NotATopupFile,
    Rejected,
    RejectReason,
    Row,
    chunks_read,
    header_read,
    row_parse,
)

COLUMNS = Columns(msisdn=0, amount_cents=1, reference=2)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"+32470123456,1000,r-1\n", Row(7, "+32470123456", 1000, "r-1")),
        (b" 0470 12 34 56 , 5 ,A.b:c/d_e-f\r\n", Row(7, "+32470123456", 5, "A.b:c/d_e-f")),
        (b'"0032470123456","100000","x"\n', Row(7, "+32470123456", 100_000, "x")),
        (b"+32470123456,100001,r\n", Rejected(7, "r", RejectReason.INVALID_AMOUNT)),
        (b"+32470123456,-5,r\n", Rejected(7, "r", RejectReason.INVALID_AMOUNT)),
        (b"+32470123456,\xd9\xa1,r\n", Rejected(7, "r", RejectReason.INVALID_AMOUNT)),
        (b"+3212345678,5,r\n", Rejected(7, "r", RejectReason.INVALID_NUMBER)),
        (b"+32470123456,5,@SUM(A1)\n", Rejected(7, "", RejectReason.INVALID_REFERENCE)),
        (b"+32470123456,5,\n", Rejected(7, "", RejectReason.INVALID_REFERENCE)),
        (b"+32470123456,5\n", Rejected(7, "", RejectReason.MALFORMED_ROW)),
        (b"\xff\xfe,5,r\n", Rejected(7, "", RejectReason.MALFORMED_ROW)),
        (b'"unterminated,5,r\n', Rejected(7, "", RejectReason.MALFORMED_ROW)),
        (b"  \r\n", None),
    ],
)
def test_a_line_is_a_row_a_rejection_with_its_reason_or_blank(
    line: bytes, expected: Row | Rejected | None
) -> None:
    assert row_parse(line, 7, COLUMNS) == expected


@pytest.mark.parametrize(
    "header", [b"", b"msisdn,amount,reference\n", b"msisdn,amount_cents\n", b"\xff,\xfe\n"]
)
def test_a_header_without_the_three_columns_is_refused(header: bytes) -> None:
    with pytest.raises(NotATopupFile):
        header_read(io.BytesIO(header + b"+32470123456,5,r\n"))


def test_an_overlong_line_is_one_malformed_row_and_reading_goes_on() -> None:
    body = b"+32470123456,5," + b"r" * (3 * MAX_LINE_BYTES) + b"\n+32470123457,6,s\n"
    stream = io.BytesIO(b"\xef\xbb\xbfMSISDN,Amount_Cents,Reference\r\n" + body)
    columns, header_bytes = header_read(stream)
    (chunk,) = chunks_read(stream, offset=header_bytes, line=2, columns=columns, chunk_rows=10)
    assert chunk.rejected == [Rejected(2, "", RejectReason.MALFORMED_ROW)]
    assert chunk.rows == [Row(3, "+32470123457", 6, "s")]
    assert chunk.end_offset == header_bytes + len(body)


_LINE = st.one_of(
    st.just(b"+32470123456,100,a"),
    st.just(b""),
    st.just(b"   "),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b),
    st.just(b"x" * (MAX_LINE_BYTES + 5)),
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_LINE, max_size=30), chunk_rows=st.integers(min_value=1, max_value=7))
def test_chunks_cover_the_file_and_reading_again_from_any_boundary_cuts_the_same(
    lines: list[bytes], chunk_rows: int
) -> None:
    data = b"msisdn,amount_cents,reference\n" + b"".join(line + b"\n" for line in lines)
    stream = io.BytesIO(data)
    columns, header_bytes = header_read(stream)
    chunks = list(
        chunks_read(stream, offset=header_bytes, line=2, columns=columns, chunk_rows=chunk_rows)
    )
    offset = header_bytes
    for chunk in chunks:
        assert chunk.start_offset == offset and chunk.end_offset > offset
        assert chunk.rows_read <= chunk_rows
        offset = chunk.end_offset
    assert offset == len(data)
    assert sum(c.rows_read for c in chunks) == sum(1 for line in lines if line.strip())
    for n, chunk in enumerate(chunks):
        again = chunks_read(
            io.BytesIO(data),
            offset=chunk.start_offset,
            line=chunks[n - 1].next_line if n else 2,
            columns=columns,
            chunk_rows=chunk_rows,
        )
        assert list(again) == chunks[n:]
