"""`topup topups import`: each row credited once, rejections reported, resumable after a crash."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.topups.conftest import AWAITING_IDENTIFICATION, IDENTIFIED, IDENTIFIED_EMPTY
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.ledger.models import Account, Transfer
from topup.ledger.postgres import BulkCredit
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.verify import ledger_verify
from topup.subscribers.models import Sim
from topup.subscribers.services import line_hold_open, sim_status_change
from topup.topups import bulk, bulk_file
from topup.topups.bulk import (
    BulkImportReport,
    BulkProgress,
    topup_bulk_funding,
    topup_bulk_import,
    topup_bulk_imports_verify,
)
from topup.topups.models import BulkImport, BulkImportChunk, BulkImportStatus
from topup.topups.verify import topup_verify

pytestmark = pytest.mark.django_db

OPERATOR = Actor.system("tests:bulk")
HEADER = "msisdn,amount_cents,reference\n"
UNKNOWN = "+32470999999"  # a valid Belgian mobile number that is none of our lines


class Crash(Exception):
    """Stands for the process dying: nothing after it in the chunk is written."""


def write(path: Path, rows: list[str], *, header: str = HEADER) -> Path:
    path.write_text(header + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def promo_cents(msisdn: str) -> int:
    sim = Sim.objects.select_related("promo_account").get(msisdn=msisdn)
    return ledger_account_balance_cents(account=sim.promo_account)


def paid_cents(msisdn: str) -> int:
    sim = Sim.objects.select_related("paid_account").get(msisdn=msisdn)
    return ledger_account_balance_cents(account=sim.paid_account)


def rejects(report: BulkImportReport) -> list[tuple[str, str, str]]:
    with report.rejects_path.open(encoding="utf-8", newline="") as stream:
        return [(r["line"], r["reference"], r["reason"]) for r in csv.DictReader(stream)]


def run(
    path: Path,
    *,
    funding: str = "promotions",
    chunk_rows: int = 1000,
    workers: int = 1,
    progress: Callable[[BulkProgress], None] | None = None,
) -> BulkImportReport:
    return topup_bulk_import(
        path=path,
        funding=topup_bulk_funding(name=funding),
        actor=OPERATOR,
        chunk_rows=chunk_rows,
        workers=workers,
        progress=progress,
    )


def assert_books_clean() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []


def test_each_row_is_credited_once_however_often_the_file_is_imported(
    demo: None, tmp_path: Path
) -> None:
    path = write(tmp_path / "promo.csv", [f"{IDENTIFIED},250,p-1", "0470 00 00 02,300,p-2"])
    first = run(path)
    assert (first.credited_rows, first.credited_cents, first.rejected_rows) == (2, 550, 0)
    assert (promo_cents(IDENTIFIED), promo_cents(IDENTIFIED_EMPTY)) == (250, 300)

    again = run(path)
    assert again.already_completed and again.import_id == first.import_id
    corrected = write(
        tmp_path / "promo-v2.csv",
        [f"{IDENTIFIED},250,p-1", f"{IDENTIFIED_EMPTY},300,p-2", f"{IDENTIFIED},100,p-3"],
    )
    second = run(corrected)
    assert second.import_id != first.import_id
    assert (second.credited_rows, second.replayed_rows, second.rejected_rows) == (1, 2, 0)
    assert (promo_cents(IDENTIFIED), promo_cents(IDENTIFIED_EMPTY)) == (350, 300)
    assert paid_cents(IDENTIFIED) == 500  # promotional credit never touches the paid credit
    assert Transfer.objects.filter(reason_code="bulk_promotion").count() == 3
    assert AuditEvent.objects.filter(action="ledger.posted", reason="bulk_promotion").count() == 3
    assert_books_clean()


def test_rejected_rows_are_reported_with_their_reason_and_credit_nothing(
    demo: None, tmp_path: Path
) -> None:
    held = Sim.objects.get(msisdn=IDENTIFIED_EMPTY)
    line_hold_open(sim=held, reason="sim_swap", details={}, actor=OPERATOR)
    rows = [
        f"{IDENTIFIED},100,ok-1",  # line 2
        "12345,100,bad-number",
        f"{UNKNOWN},100,unknown",
        f"{AWAITING_IDENTIFICATION},100,unidentified",
        f"{IDENTIFIED_EMPTY},100,held",
        f"{IDENTIFIED},0,zero",
        f"{IDENTIFIED},12.50,decimal",
        f"{IDENTIFIED},100001,too-much",
        f"{IDENTIFIED},100,=cmd()",
        f"{IDENTIFIED},100,ok-2,extra",
        f"{IDENTIFIED},200,ok-1",  # line 12: the reference of line 2 with another amount
        f"{IDENTIFIED},100,ok-1",  # the same row again: a replay, not a rejection
        "",
        f'"{IDENTIFIED}","150","ok-3"',  # line 15
    ]
    report = run(write(tmp_path / "mixed.csv", rows))
    assert rejects(report) == [
        ("3", "bad-number", "invalid_number"),
        ("4", "unknown", "unknown_number"),
        ("5", "unidentified", "line_not_active"),
        ("6", "held", "line_held"),
        ("7", "zero", "invalid_amount"),
        ("8", "decimal", "invalid_amount"),
        ("9", "too-much", "invalid_amount"),
        ("10", "", "invalid_reference"),
        ("11", "", "malformed_row"),
        ("12", "ok-1", "reference_reused"),
    ]
    assert (report.rows_read, report.credited_rows, report.replayed_rows) == (13, 2, 1)
    assert (report.credited_cents, report.rejected_rows) == (250, 10)
    assert report.rejects_path == tmp_path / "mixed.rejects.csv"
    assert promo_cents(IDENTIFIED) == 250
    assert promo_cents(IDENTIFIED_EMPTY) == promo_cents(AWAITING_IDENTIFICATION) == 0
    assert_books_clean()


def test_a_reference_already_credited_from_an_earlier_file_is_not_reused(
    demo: None, tmp_path: Path
) -> None:
    run(write(tmp_path / "a.csv", [f"{IDENTIFIED},100,ref-1"]))
    report = run(write(tmp_path / "b.csv", [f"{IDENTIFIED_EMPTY},100,ref-1"]))
    assert rejects(report) == [("2", "ref-1", "reference_reused")]
    assert (promo_cents(IDENTIFIED), promo_cents(IDENTIFIED_EMPTY)) == (100, 0)
    assert_books_clean()


@pytest.mark.parametrize("crash_at", ["posting the third chunk", "after the second chunk"])
def test_an_import_interrupted_by_a_crash_resumes_and_credits_the_rest_once(
    demo: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    rows = [f"{IDENTIFIED if n % 2 else IDENTIFIED_EMPTY},{n},r-{n}" for n in range(1, 12)]
    rows.insert(3, "not-a-number,1,r-bad")
    path = write(tmp_path / "fleet.csv", rows)
    posting = bulk.ledger_transfers_post_many
    chunks_posted = 0

    def crash_on_third(
        *, debit: Account, credits: list[BulkCredit], reason_code: str, actor: Actor, memo: str
    ) -> dict[str, int]:
        nonlocal chunks_posted
        chunks_posted += 1
        if chunks_posted == 3:
            raise Crash
        return posting(
            debit=debit, credits=credits, reason_code=reason_code, actor=actor, memo=memo
        )

    def crash_after_second(progress: BulkProgress) -> None:
        if progress.rows_read == 6:
            raise Crash

    with pytest.raises(Crash):
        if crash_at == "posting the third chunk":
            monkeypatch.setattr(bulk, "ledger_transfers_post_many", crash_on_third)
            run(path, chunk_rows=3)
        else:
            run(path, chunk_rows=3, progress=crash_after_second)
    checkpoint = BulkImport.objects.get()
    assert checkpoint.status == BulkImportStatus.RUNNING
    committed = BulkImportChunk.objects.order_by("start_offset")
    assert [(c.next_line, c.rows_read, c.credited_cents) for c in committed] == [
        (5, 3, 1 + 2 + 3),
        (8, 3, 4 + 5),
    ]
    assert promo_cents(IDENTIFIED) + promo_cents(IDENTIFIED_EMPTY) == sum(range(1, 6))
    assert_books_clean()

    monkeypatch.setattr(bulk, "ledger_transfers_post_many", posting)
    report = run(path, chunk_rows=3)
    assert report.resumed and report.import_id == checkpoint.pk
    assert (report.rows_read, report.credited_rows, report.rejected_rows) == (12, 11, 1)
    assert report.credited_cents == sum(range(1, 12))
    assert promo_cents(IDENTIFIED) == sum(range(1, 12, 2))
    assert promo_cents(IDENTIFIED_EMPTY) == sum(range(2, 12, 2))
    assert rejects(report) == [("5", "r-bad", "invalid_number")]
    assert BulkImport.objects.get().status == BulkImportStatus.COMPLETED
    assert_books_clean()


def test_a_company_fleet_is_paid_credit_owed_by_the_company(demo: None, tmp_path: Path) -> None:
    path = write(
        tmp_path / "acme.csv", [f"{IDENTIFIED},1000,inv-7/1", f"{IDENTIFIED_EMPTY},500,inv-7/2"]
    )
    report = run(path, funding="company:acme")
    assert report.credited_cents == 1500
    assert (paid_cents(IDENTIFIED), paid_cents(IDENTIFIED_EMPTY)) == (1500, 500)
    assert promo_cents(IDENTIFIED) == 0
    receivable = topup_bulk_funding(name="company:acme").account
    assert ledger_account_balance_cents(account=receivable) == 1500
    assert_books_clean()


def test_the_same_file_from_another_funding_is_refused(demo: None, tmp_path: Path) -> None:
    path = write(tmp_path / "once.csv", [f"{IDENTIFIED},100,x-1"])
    run(path, funding="company:acme")
    with pytest.raises(ApplicationError) as refused:
        run(path, funding="promotions")
    assert refused.value.code == "bulk_file_imported_from_other_funding"
    assert (paid_cents(IDENTIFIED), promo_cents(IDENTIFIED)) == (600, 0)


@pytest.mark.parametrize(
    "header", ["", "msisdn,amount,reference\n", "msisdn,amount_cents\n", "\xff\xfe\n"]
)
def test_a_file_without_the_expected_columns_is_refused_whole(
    demo: None, tmp_path: Path, header: str
) -> None:
    path = write(tmp_path / "odd.csv", [f"{IDENTIFIED},100,h-1"], header=header)
    with pytest.raises(ApplicationError) as refused:
        run(path)
    assert refused.value.code == "bulk_file_invalid"
    assert not BulkImport.objects.exists()
    assert promo_cents(IDENTIFIED) == 0


@pytest.mark.parametrize("name", ["cash", "company:", "company:a b", "company:-x"])
def test_an_unknown_funding_is_refused(demo: None, name: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        topup_bulk_funding(name=name)
    assert refused.value.code == "bulk_funding_unknown"


def test_columns_in_any_order_with_a_bom_crlf_and_a_suspended_line(
    demo: None, tmp_path: Path
) -> None:
    sim_status_change(
        sim=Sim.objects.get(msisdn=IDENTIFIED_EMPTY),
        status="suspended",
        reason="tests",
        actor=OPERATOR,
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbfReference,MSISDN,Amount_Cents\r\n"
        b"s-1,+32 470 00 00 01,700\r\ns-2,0032470000002,700\r\n"
    )
    report = run(path)
    assert (report.credited_cents, rejects(report)) == (700, [("3", "s-2", "line_not_active")])
    assert_books_clean()


def test_verify_reports_bulk_credits_that_no_import_counted(demo: None, tmp_path: Path) -> None:
    run(write(tmp_path / "v.csv", [f"{IDENTIFIED},100,v-1", f"{IDENTIFIED},200,v-2"]))
    assert topup_bulk_imports_verify() == []
    BulkImportChunk.objects.update(credited_rows=1, credited_cents=100, replayed_rows=1)
    assert topup_bulk_imports_verify() == [
        f"bulk credits from account {topup_bulk_funding(name='promotions').account.pk} "
        "(bulk_promotion): 2 postings of 300 cents, but the imports credited 1 of 100",
        f"bulk import {BulkImport.objects.get().pk}: its totals are not its chunks' sums",
    ]


def test_the_command_credits_the_file_shows_progress_and_writes_the_report(
    demo: None, tmp_path: Path
) -> None:
    path = write(tmp_path / "cli.csv", [f"{IDENTIFIED},100,c-1", f"{UNKNOWN},100,c-2"])
    report_path = tmp_path / "out" / "rejected.csv"
    report_path.parent.mkdir()
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "topups",
        "import",
        str(path),
        "--funding",
        "promotions",
        "--rejects",
        str(report_path),
        stdout=out,
        stderr=err,
    )
    assert "2 rows: 1 credited (€ 1.00), 0 already credited before, 1 rejected" in out.getvalue()
    assert "100.0%" in err.getvalue()
    assert (
        report_path.read_text(encoding="utf-8").splitlines()[1].startswith("3,c-2,unknown_number,")
    )
    assert promo_cents(IDENTIFIED) == 100


def test_the_command_refuses_an_unknown_funding(demo: None, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    path = write(tmp_path / "cli.csv", [f"{IDENTIFIED},100,c-1"])
    with pytest.raises(CommandError, match="bulk_funding_unknown"):
        call_command("topups", "import", str(path), "--funding", "cash", "--no-progress")


@pytest.mark.postgres
def test_on_postgresql_a_chunk_costs_the_same_queries_however_many_rows_it_holds(
    demo: None, tmp_path: Path
) -> None:
    def queries_for(rows: int) -> int:
        lines = [f"{(IDENTIFIED, IDENTIFIED_EMPTY)[n % 2]},10,q{rows}-{n}" for n in range(rows)]
        with CaptureQueriesContext(connection) as captured:
            report = run(write(tmp_path / f"q{rows}.csv", lines), chunk_rows=rows)
        assert report.credited_rows == rows
        return len(captured)

    queries_for(1)  # opens the funding account once
    assert queries_for(40) == queries_for(2)
    assert promo_cents(IDENTIFIED) == 10 + 20 * 10 + 10
    assert promo_cents(IDENTIFIED_EMPTY) == 20 * 10 + 10
    assert_books_clean()


def _fleet(tmp_path: Path, rows: int) -> Path:
    """`rows` top-ups of 1..rows cents on the two active lines, every third reference twice."""
    lines = [f"{(IDENTIFIED, IDENTIFIED_EMPTY)[n % 2]},{n},f-{n}" for n in range(1, rows + 1)]
    lines += [f"{(IDENTIFIED, IDENTIFIED_EMPTY)[n % 2]},{n},f-{n}" for n in range(1, rows, 3)]
    return write(tmp_path / f"fleet-{rows}.csv", lines)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_chunks_posted_side_by_side_credit_each_row_once(demo: None, tmp_path: Path) -> None:
    report = run(_fleet(tmp_path, 40), chunk_rows=4, workers=3)
    assert (report.credited_rows, report.replayed_rows, report.rejected_rows) == (40, 13, 0)
    assert report.credited_cents == sum(range(1, 41))
    assert promo_cents(IDENTIFIED) == sum(range(2, 41, 2))
    assert promo_cents(IDENTIFIED_EMPTY) == sum(range(1, 41, 2))
    assert BulkImportChunk.objects.count() == 14
    assert_books_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_side_by_side_a_crashed_chunk_is_posted_by_the_next_run_and_only_it(
    demo: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _fleet(tmp_path, 40)  # 53 rows: 14 chunks of 4; the third holds lines 10 to 13
    claim = bulk._chunk_claim
    last_chunk_committed = threading.Event()

    def crash_third_once_the_last_committed(
        import_id: int, chunk: bulk_file.Chunk
    ) -> BulkImportChunk | None:
        if chunk.rows and chunk.rows[0].line == 10:
            last_chunk_committed.wait(timeout=60)
            raise Crash
        if chunk.next_line == 55:
            transaction.on_commit(last_chunk_committed.set)
        return claim(import_id, chunk)

    monkeypatch.setattr(bulk, "_chunk_claim", crash_third_once_the_last_committed)
    with pytest.raises(Crash):
        run(path, chunk_rows=4, workers=2)
    assert last_chunk_committed.is_set()
    assert BulkImportChunk.objects.count() == 13
    assert not BulkImportChunk.objects.filter(next_line=14).exists()
    # f-9 to f-12 are not credited, but f-10 is listed again further on: that row was.
    assert Transfer.objects.filter(reason_code="bulk_promotion").count() == 40 - 4 + 1
    assert_books_clean()

    monkeypatch.setattr(bulk, "_chunk_claim", claim)
    report = run(path, chunk_rows=4, workers=2)
    assert report.resumed
    assert (report.credited_rows, report.replayed_rows, report.credited_cents) == (
        40,
        13,
        sum(range(1, 41)),
    )
    assert BulkImportChunk.objects.count() == 14
    assert Transfer.objects.filter(reason_code="bulk_promotion").count() == 40
    assert promo_cents(IDENTIFIED) == sum(range(2, 41, 2))
    assert_books_clean()


_LINES = [IDENTIFIED, IDENTIFIED_EMPTY, AWAITING_IDENTIFICATION, UNKNOWN, "0470", ""]
_ROWS = st.lists(
    st.tuples(
        st.sampled_from(_LINES),
        st.one_of(
            st.integers(min_value=-5, max_value=bulk_file.MAX_AMOUNT_CENTS + 5).map(str),
            st.sampled_from(["", "1.5", "abc", " 7 "]),
        ),
        st.sampled_from(["a", "b", "c", "d", "", "!x", "a,b"]),
    ),
    max_size=12,
)


def _expected(rows: list[tuple[str, str, str]]) -> tuple[dict[str, int], int]:
    """What a correct import credits per line, and how many rows it rejects (a plain model)."""
    credited: dict[str, int] = {}
    first: dict[str, tuple[str, int]] = {}
    rejected = 0
    for msisdn, amount, reference in rows:
        valid_amount = amount.strip().isdigit() and 0 < int(amount) <= bulk_file.MAX_AMOUNT_CENTS
        valid_line = msisdn in (IDENTIFIED, IDENTIFIED_EMPTY)
        if not (reference.isalnum() and valid_amount and valid_line):
            rejected += 1
        elif reference in first:
            rejected += first[reference] != (msisdn, int(amount))
        else:
            first[reference] = (msisdn, int(amount))
            credited[msisdn] = credited.get(msisdn, 0) + int(amount)
    return credited, rejected


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=_ROWS, chunk_rows=st.integers(min_value=1, max_value=5))
def test_any_file_credits_exactly_its_valid_first_rows(
    demo: None, tmp_path: Path, rows: list[tuple[str, str, str]], chunk_rows: int
) -> None:
    with transaction.atomic():
        lines = [f'{msisdn},{amount},"{reference}"' for msisdn, amount, reference in rows]
        path = write(tmp_path / "any.csv", lines)
        report = run(path, chunk_rows=chunk_rows)
        credited, rejected = _expected(rows)
        assert report.rows_read == len(rows)
        assert report.rejected_rows == rejected
        assert report.credited_cents == sum(credited.values())
        assert report.rows_read == report.credited_rows + report.replayed_rows + rejected
        for msisdn in (IDENTIFIED, IDENTIFIED_EMPTY):
            assert promo_cents(msisdn) == credited.get(msisdn, 0)
        assert_books_clean()
        transaction.set_rollback(True)
