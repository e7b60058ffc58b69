"""Bulk top-ups: credit a CSV file of lines from one funding account (`topup topups import`).

The file (see `bulk_file`): `msisdn,amount_cents,reference`, one top-up per line. `reference` is
the row's idempotency key within its funding account: the transfer's key is
`bulk:<funding account id>:<reference>`, so a row is credited once however often it is imported,
in this file or in a corrected copy of it. The same reference with another line or amount is
rejected (`reference_reused`), never credited twice.

Funding (`--funding`), one per file:
- `promotions`: promotional credit, funded by the operator's promotions expense account
  (reason `bulk_promotion`), e.g. a promotion credited to every line;
- `company:<ref>`: paid credit, funded by the company's receivable `receivable:company:<ref>`
  (an untracked asset, invoiced and settled outside the platform; reason `bulk_topup`), e.g. a
  company topping up its fleet.
Neither is a payment-provider capture, so bulk credits are not top-up orders: `topup ledger
verify` checks them against the imports' chunks instead (`topup_bulk_imports_verify`).

A row is rejected (reported with its reason, never half-written) when it is malformed, its
reference or amount is invalid, the number is not a Belgian mobile number or not one of our
lines, or the line is not active or is held for re-identification, as for any top-up.

The file is streamed, never loaded: read and parsed `chunk_rows` rows at a time, at most a few
chunks in memory however long the file. Each chunk is one transaction: claim the chunk (its
`BulkImportChunk` row), resolve its numbers in one query, post its credits through
`ledger_transfers_post_many` (on PostgreSQL set-based: COPY into a temporary table, one
statement for transfers, entries and their audit rows, one UPDATE of the credited balances, see
`topup.ledger.postgres`; on SQLite, for development, one `ledger_transfer` per row), record its
rejected rows and its counts. On PostgreSQL `workers` threads post chunks side by side, each on
its own connection: the credits are the database's work, and one connection leaves a core idle.
A crash rolls back the chunks in flight, whole; importing the same file again (same bytes, same
funding) skips the chunks recorded and posts the others, and the idempotency keys make even a
lost chunk record harmless. Importing a completed file changes nothing; to retry rejected rows,
import a file with them (a corrected copy of the whole file is fine: rows already credited are
skipped). Rejected rows are kept in the database and written to the rejects CSV (line,
reference, reason, message) at the end, so the report is complete after a resume too.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from topup.audit.services import Actor, audit_record
from topup.core import clock
from topup.core.errors import InvariantViolation
from topup.ledger import domain
from topup.ledger.models import Account, AccountKind, Transfer
from topup.ledger.postgres import BulkCredit
from topup.ledger.services import (
    ledger_account_open,
    ledger_system_account,
    ledger_transfers_post_many,
)
from topup.subscribers.models import LineHold, Sim, SimStatus
from topup.topups.bulk_file import (
    Chunk,
    NotATopupFile,
    Rejected,
    RejectReason,
    chunks_read,
    header_read,
)
from topup.topups.errors import (
    BulkFileImportedFromOtherFunding,
    BulkFileInvalid,
    BulkFundingUnknown,
)
from topup.topups.models import (
    BulkImport,
    BulkImportChunk,
    BulkImportRejection,
    BulkImportStatus,
)

BULK_CHUNK_ROWS: Final = 5_000
BULK_CHUNK_ROWS_MAX: Final = 20_000
BULK_WORKERS: Final = 2
BULK_WORKERS_MAX: Final = 8
BULK_MAX_FILE_BYTES: Final = 4 * 1024**3
BULK_TOPUP_REASON: Final = "bulk_topup"
BULK_PROMOTION_REASON: Final = "bulk_promotion"

_COMPANY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
_HASH_BLOCK_BYTES = 1024 * 1024
_FIRST_LINE = 2  # line 1 is the header

REJECT_MESSAGES: Final[dict[RejectReason, Promise]] = {
    RejectReason.MALFORMED_ROW: _(
        "The line is not three comma-separated values in UTF-8. Correct it and import again."
    ),
    RejectReason.INVALID_REFERENCE: _(
        "The reference is missing or invalid: up to 100 letters, digits and . _ : / -, starting "
        "with a letter or digit. Correct it and import again."
    ),
    RejectReason.INVALID_AMOUNT: _(
        "The amount must be whole cents between 1 and 100000 (€ 1,000.00), e.g. 1000 for "
        "€ 10.00. Correct it and import again."
    ),
    RejectReason.INVALID_NUMBER: _(
        "This is not a Belgian mobile number. Check the number, e.g. +32470123456."
    ),
    RejectReason.UNKNOWN_NUMBER: _("This number is not one of our lines. Check the number."),
    RejectReason.LINE_NOT_ACTIVE: _(
        "This line is not active (awaiting identification, suspended or terminated). Once the "
        "line is active, import the row again: rows already credited are skipped."
    ),
    RejectReason.LINE_HELD: _(
        "This line is held until its owner re-identifies. Then import the row again: rows "
        "already credited are skipped."
    ),
    RejectReason.REFERENCE_REUSED: _(
        "This reference was already used for another line or amount. Give each top-up its own "
        "reference."
    ),
}


@dataclass(frozen=True)
class BulkFunding:
    """Who pays for an import's top-ups, which credit it buys, and the reason on its transfers."""

    name: str
    account: Account
    credit_kind: str  # "paid" or "promo"
    reason_code: str


@dataclass(frozen=True)
class BulkProgress:
    bytes_done: int  # the furthest chunk end committed: an estimate when chunks run side by side
    bytes_total: int
    rows_read: int
    credited_rows: int
    rejected_rows: int


@dataclass(frozen=True)
class BulkImportReport:
    import_id: int
    rows_read: int
    credited_rows: int
    credited_cents: int
    replayed_rows: int
    rejected_rows: int
    rejects_path: Path
    resumed: bool  # continued an import an earlier run left unfinished
    already_completed: bool  # this file had been imported in full before: nothing was done


@dataclass
class _Counts:
    rows_read: int = 0
    credited_rows: int = 0
    credited_cents: int = 0
    replayed_rows: int = 0
    rejected_rows: int = 0

    def add(self, other: _Counts) -> None:
        self.rows_read += other.rows_read
        self.credited_rows += other.credited_rows
        self.credited_cents += other.credited_cents
        self.replayed_rows += other.replayed_rows
        self.rejected_rows += other.rejected_rows


@dataclass(frozen=True, slots=True)
class _Line:
    account_id: int
    status: str
    held: bool


def topup_bulk_funding(*, name: str) -> BulkFunding:
    """`promotions` (promotional credit) or `company:<ref>` (paid credit, invoiced)."""
    if name == "promotions":
        account = ledger_system_account(name="promotions")
        return BulkFunding(name, account, "promo", BULK_PROMOTION_REASON)
    company = name.removeprefix("company:")
    if company == name or not _COMPANY.fullmatch(company):
        raise BulkFundingUnknown(details={"funding": name[:60]})
    # An asset the company owes until its invoice is paid; untracked, so never a hot row. No
    # account kind of its own yet: a receivable clears like a provider's clearing account.
    account = ledger_account_open(
        code=f"receivable:company:{company}",
        name=f"Receivable {company}",
        kind=AccountKind.PROVIDER_CLEARING,
        account_type=domain.AccountType.ASSET,
        owner_type="company",
        owner_id=company,
        balance_tracked=False,
        may_go_negative=True,
    )
    return BulkFunding(name, account, "paid", BULK_TOPUP_REASON)


_LINES_SQL = f"""
SELECT s.msisdn, s.paid_account_id, s.promo_account_id, s.status, EXISTS (
    SELECT 1 FROM {LineHold._meta.db_table} h WHERE h.sim_id = s.id AND h.cleared_at IS NULL
) FROM {Sim._meta.db_table} s WHERE s.msisdn = ANY(%s::text[])
"""  # noqa: S608 - table names from the models, values are parameters


def _lines_by_msisdn(msisdns: set[str], *, credit_kind: str) -> dict[str, _Line]:
    """The chunk's lines in one query: the credit account to use, status, open hold.

    On PostgreSQL the numbers go as one array literal: an IN list of thousands of parameters
    costs more to build, send and parse than the lookup itself. The numbers are E.164
    (`bulk_file` normalised them), so they need no quoting in it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LINES_SQL, ["{" + ",".join(msisdns) + "}"])
            found: list[tuple[str, int, int, str, bool]] = cursor.fetchall()
    else:
        open_hold = LineHold.objects.filter(sim=OuterRef("pk"), cleared_at__isnull=True)
        found = list(
            Sim.objects.filter(msisdn__in=msisdns)
            .annotate(held=Exists(open_hold))
            .values_list("msisdn", "paid_account_id", "promo_account_id", "status", "held")
        )
    paid = credit_kind == "paid"
    return {
        msisdn: _Line(paid_id if paid else promo_id, status, held)
        for msisdn, paid_id, promo_id, status, held in found
    }


@dataclass
class _Outcome:
    """What a chunk does: credits to post (by key, with their line), replays, rejections."""

    credits: dict[str, BulkCredit] = field(default_factory=dict)
    lines_by_key: dict[str, int] = field(default_factory=dict)
    replayed_rows: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _line_refusal(line: _Line) -> RejectReason | None:
    """Why this line takes no top-up now (as `sim_topup_check`), or None."""
    if line.status != SimStatus.ACTIVE:
        return RejectReason.LINE_NOT_ACTIVE
    if line.held:
        return RejectReason.LINE_HELD
    return None


def _classify(chunk: Chunk, lines: dict[str, _Line], funding: BulkFunding) -> _Outcome:
    """Rows to credit (the first of each reference), same-reference repeats, rejections."""
    outcome = _Outcome(rejected=list(chunk.rejected))
    key_prefix = f"bulk:{funding.account.pk}:"
    for row in chunk.rows:
        line = lines.get(row.msisdn)
        refusal = RejectReason.UNKNOWN_NUMBER if line is None else _line_refusal(line)
        if refusal is not None:
            outcome.rejected.append(Rejected(row.line, row.reference, refusal))
            continue
        assert line is not None
        key = key_prefix + row.reference
        credit = BulkCredit(key, line.account_id, row.amount_cents)
        earlier = outcome.credits.get(key)
        if earlier is None:
            outcome.credits[key] = credit
            outcome.lines_by_key[key] = row.line
        elif earlier == credit:
            outcome.replayed_rows += 1
        else:
            outcome.rejected.append(
                Rejected(row.line, row.reference, RejectReason.REFERENCE_REUSED)
            )
    return outcome


def _replays(outcome: _Outcome, posted: dict[str, int], funding: BulkFunding) -> None:
    """Keys the ledger already held: the same credit is a replay, anything else a reused key."""
    skipped = [key for key in outcome.credits if key not in posted]
    if not skipped:
        return
    stored = Transfer.objects.filter(idempotency_key__in=skipped).values_list(
        "idempotency_key", "debit_account_id", "credit_account_id", "amount_cents", "reason_code"
    )
    for key, debit_id, credit_id, amount_cents, reason_code in stored:
        credit = outcome.credits[key]
        same = (debit_id, credit_id, amount_cents, reason_code) == (
            funding.account.pk,
            credit.credit_account_id,
            credit.amount_cents,
            funding.reason_code,
        )
        if same:
            outcome.replayed_rows += 1
        else:
            reference = key.split(":", 2)[2]
            line = outcome.lines_by_key[key]
            outcome.rejected.append(Rejected(line, reference, RejectReason.REFERENCE_REUSED))


def _chunk_claim(import_id: int, chunk: Chunk) -> BulkImportChunk | None:
    """Record the chunk as this transaction's; None when another run has committed it.

    The unique (import, start) key makes a second run wait for the first one's transaction:
    committed, the chunk is skipped; rolled back, it is claimed here.
    """
    try:
        with transaction.atomic():
            return BulkImportChunk.objects.create(
                bulk_import_id=import_id,
                start_offset=chunk.start_offset,
                end_offset=chunk.end_offset,
                next_line=chunk.next_line,
                committed_at=clock.now(),
            )
    except IntegrityError:
        return None


def _chunk_import(
    chunk: Chunk, *, import_id: int, funding: BulkFunding, actor: Actor
) -> _Counts | None:
    """Credit one chunk and record it, in one transaction; None when another run did it."""
    with transaction.atomic():
        record = _chunk_claim(import_id, chunk)
        if record is None:
            return None
        lines = _lines_by_msisdn({r.msisdn for r in chunk.rows}, credit_kind=funding.credit_kind)
        outcome = _classify(chunk, lines, funding)
        posted = ledger_transfers_post_many(
            debit=funding.account,
            credits=list(outcome.credits.values()),
            reason_code=funding.reason_code,
            actor=actor,
            memo=f"bulk import {import_id}",
        )
        _replays(outcome, posted, funding)
        BulkImportRejection.objects.bulk_create(
            BulkImportRejection(
                bulk_import_id=import_id, line=r.line, reference=r.reference, reason_code=r.reason
            )
            for r in outcome.rejected
        )
        counts = _Counts(
            rows_read=chunk.rows_read,
            credited_rows=len(posted),
            credited_cents=sum(outcome.credits[key].amount_cents for key in posted),
            replayed_rows=outcome.replayed_rows,
            rejected_rows=len(outcome.rejected),
        )
        for name, value in vars(counts).items():
            setattr(record, name, value)
        record.save(update_fields=list(vars(counts)))
    return counts


@dataclass(frozen=True)
class _Done:
    chunk_end: int
    counts: _Counts | None  # None: another run had committed the chunk


def _read_ahead(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """The same chunks, the next one read and parsed in a thread while this one is posted."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-reader") as reader:
        pending = reader.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = reader.submit(next, chunks, None)
            yield chunk


_Result = tuple[Chunk, _Counts | None, Exception | None]


def _worker(
    tasks: queue.Queue[Chunk | None],
    results: queue.Queue[_Result],
    post: Callable[[Chunk], _Counts | None],
) -> None:
    """Post chunks until told to stop; on this thread's own database connection."""
    try:
        while (chunk := tasks.get()) is not None:
            try:
                results.put((chunk, post(chunk), None))
            except Exception as error:  # handed to the main thread, which raises it
                results.put((chunk, None, error))
    finally:
        connection.close()


def _posted_side_by_side(
    chunks: Iterator[Chunk], post: Callable[[Chunk], _Counts | None], workers: int
) -> Iterator[_Done]:
    """Post chunks on `workers` threads, as each commits; the first error stops the run.

    At most `2 * workers` chunks wait or run at a time. On an error the chunks not started are
    dropped and those running finish (or roll back) before the error is raised here.
    """
    tasks: queue.Queue[Chunk | None] = queue.Queue(maxsize=workers)
    results: queue.Queue[_Result] = queue.Queue()
    threads = [
        threading.Thread(target=_worker, args=(tasks, results, post), name=f"bulk-{n}")
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    in_flight = 0
    try:
        for chunk in chunks:
            tasks.put(chunk)
            in_flight += 1
            while not results.empty():
                in_flight -= 1
                yield _done(results.get())
        for _ in range(in_flight):
            yield _done(results.get())
    finally:
        while not tasks.empty():
            tasks.get_nowait()
        for _ in threads:
            tasks.put(None)
        for thread in threads:
            thread.join()


def _done(result: _Result) -> _Done:
    chunk, counts, error = result
    if error is not None:
        raise error
    return _Done(chunk.end_offset, counts)


def _posted(
    chunks: Iterator[Chunk], post: Callable[[Chunk], _Counts | None], workers: int
) -> Iterator[_Done]:
    if workers > 1:
        yield from _posted_side_by_side(chunks, post, workers)
        return
    for chunk in _read_ahead(chunks):
        yield _Done(chunk.end_offset, post(chunk))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _import_open(
    *,
    path: Path,
    sha256: str,
    header_bytes: int,
    chunk_rows: int,
    funding: BulkFunding,
    actor: Actor,
) -> tuple[BulkImport, bool]:
    """This file's import from this funding, new or left unfinished (then resumed: True)."""
    other = BulkImport.objects.filter(file_sha256=sha256).exclude(funding_account=funding.account)
    if (found := other.first()) is not None:
        raise BulkFileImportedFromOtherFunding(details={"bulk_import_id": found.pk})
    with transaction.atomic():
        batch, created = BulkImport.objects.get_or_create(
            funding_account=funding.account,
            file_sha256=sha256,
            defaults={
                "credit_kind": funding.credit_kind,
                "reason_code": funding.reason_code,
                "file_name": path.name[:255],
                "file_size_bytes": path.stat().st_size,
                "header_bytes": header_bytes,
                "chunk_rows": chunk_rows,
                "started_by": actor.label()[:100],
                "started_at": clock.now(),
            },
        )
        resumed = not created and batch.status == BulkImportStatus.RUNNING
        if created or resumed:
            audit_record(
                actor=actor,
                action="topups.bulk_import_started" if created else "topups.bulk_import_resumed",
                object_type="topups.bulk_import",
                object_id=batch.pk,
                reason=funding.reason_code,
                data={
                    "file_name": batch.file_name,
                    "file_sha256": sha256,
                    "funding_account": funding.account.code,
                },
            )
    return batch, resumed


@dataclass(frozen=True)
class _ResumePoint:
    offset: int
    line: int
    done_ahead: frozenset[int]  # start offsets of chunks committed beyond `offset`
    counts: _Counts  # of every chunk committed so far


def _resume_point(batch: BulkImport) -> _ResumePoint:
    """Where to read on: past the chunks committed without a gap since the header."""
    done = {
        record.start_offset: record
        for record in BulkImportChunk.objects.filter(bulk_import=batch).only(
            "start_offset", "end_offset", "next_line", *vars(_Counts())
        )
    }
    counts = _Counts()
    for record in done.values():
        counts.add(_Counts(**{name: getattr(record, name) for name in vars(counts)}))
    offset, line = batch.header_bytes, _FIRST_LINE
    while offset in done:
        record = done.pop(offset)
        offset, line = record.end_offset, record.next_line
    return _ResumePoint(offset, line, frozenset(done), counts)


def _import_complete(*, import_id: int, actor: Actor) -> BulkImport:
    """Store the totals once the chunks cover the file without a gap."""
    with transaction.atomic():
        batch = BulkImport.objects.select_for_update().get(pk=import_id)
        if batch.status == BulkImportStatus.COMPLETED:
            return batch
        point = _resume_point(batch)
        if point.offset != batch.file_size_bytes or point.done_ahead:
            raise InvariantViolation(f"bulk import {import_id}: its chunks do not cover the file")
        for name, value in vars(point.counts).items():
            setattr(batch, name, value)
        batch.status = BulkImportStatus.COMPLETED
        batch.completed_at = clock.now()
        batch.save()
        audit_record(
            actor=actor,
            action="topups.bulk_import_completed",
            object_type="topups.bulk_import",
            object_id=batch.pk,
            reason=batch.reason_code,
            data=dict(vars(point.counts)),
        )
    return batch


def _rejects_write(*, import_id: int, path: Path) -> None:
    """Every rejected row of the import, in line order, streamed from the database."""
    partial = path.with_name(f".{path.name}.partial")
    rejections = BulkImportRejection.objects.filter(bulk_import_id=import_id).order_by("line")
    with partial.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["line", "reference", "reason", "message"])
        for rejection in rejections.iterator(chunk_size=2_000):
            reason = RejectReason(rejection.reason_code)
            writer.writerow(
                [rejection.line, rejection.reference, reason.value, str(REJECT_MESSAGES[reason])]
            )
    os.replace(partial, path)


def topup_bulk_import(
    *,
    path: Path,
    funding: BulkFunding,
    actor: Actor,
    rejects_path: Path | None = None,
    chunk_rows: int = BULK_CHUNK_ROWS,
    workers: int = 1,
    progress: Callable[[BulkProgress], None] | None = None,
) -> BulkImportReport:
    """Credit every valid row of the file once; resume where an interrupted run stopped.

    The rejected rows are written to `rejects_path` (default: `<file>.rejects.csv` beside it).
    `chunk_rows` is fixed by the first run of a file; `workers` above 1 only on PostgreSQL.
    """
    assert 0 < chunk_rows <= BULK_CHUNK_ROWS_MAX and 0 < workers <= BULK_WORKERS_MAX
    rejects = rejects_path or path.with_name(f"{path.stem}.rejects.csv")
    assert rejects.resolve() != path.resolve(), "the rejects report never replaces the file"
    size = path.stat().st_size
    if size > BULK_MAX_FILE_BYTES:
        raise BulkFileInvalid(details={"size_bytes": size})
    sha256 = _file_sha256(path)
    with path.open("rb") as stream:
        try:
            columns, header_bytes = header_read(stream)
        except NotATopupFile as error:
            raise BulkFileInvalid(details={"columns": str(error)}) from error
        batch, resumed = _import_open(
            path=path,
            sha256=sha256,
            header_bytes=header_bytes,
            chunk_rows=chunk_rows,
            funding=funding,
            actor=actor,
        )
        already_completed = batch.status == BulkImportStatus.COMPLETED
        if not already_completed:
            point = _resume_point(batch)
            chunks = (
                chunk
                for chunk in chunks_read(
                    stream,
                    offset=point.offset,
                    line=point.line,
                    columns=columns,
                    chunk_rows=batch.chunk_rows,
                )
                if chunk.start_offset not in point.done_ahead
            )
            post = functools.partial(
                _chunk_import, import_id=batch.pk, funding=funding, actor=actor
            )
            _post_all(
                chunks=chunks,
                post=post,
                workers=workers,
                counts=point.counts,
                size=size,
                progress=progress,
            )
            batch = _import_complete(import_id=batch.pk, actor=actor)
    _rejects_write(import_id=batch.pk, path=rejects)
    return BulkImportReport(
        import_id=batch.pk,
        rows_read=batch.rows_read,
        credited_rows=batch.credited_rows,
        credited_cents=batch.credited_cents,
        replayed_rows=batch.replayed_rows,
        rejected_rows=batch.rejected_rows,
        rejects_path=rejects,
        resumed=resumed,
        already_completed=already_completed,
    )


def _post_all(
    *,
    chunks: Iterator[Chunk],
    post: Callable[[Chunk], _Counts | None],
    workers: int,
    counts: _Counts,
    size: int,
    progress: Callable[[BulkProgress], None] | None,
) -> None:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # SQLite writes from one connection at a time; inside a caller's transaction the
        # workers' own connections could not see the import it has not committed.
        workers = 1
    furthest = 0
    for done in _posted(chunks, post, workers):
        if done.counts is not None:
            counts.add(done.counts)
        furthest = max(furthest, done.chunk_end)
        if progress is not None:
            progress(
                BulkProgress(
                    bytes_done=furthest,
                    bytes_total=size,
                    rows_read=counts.rows_read,
                    credited_rows=counts.credited_rows,
                    rejected_rows=counts.rejected_rows,
                )
            )


_BULK_REASONS = (BULK_TOPUP_REASON, BULK_PROMOTION_REASON)
_CREDIT_KIND_OF_REASON = {
    BULK_TOPUP_REASON: AccountKind.SUBSCRIBER_PAID,
    BULK_PROMOTION_REASON: AccountKind.SUBSCRIBER_PROMO,
}


def _posting_problems() -> list[str]:
    """Per funding account and reason, the ledger's bulk postings are the chunks' credits."""
    postings = (
        Transfer.objects.filter(reason_code__in=_BULK_REASONS, reverses__isnull=True)
        .values("debit_account_id", "reason_code")
        .annotate(n=Count("id"), cents=Sum("amount_cents"))
    )
    posted = {(p["debit_account_id"], p["reason_code"]): (p["n"], p["cents"]) for p in postings}
    chunks = BulkImportChunk.objects.values(
        "bulk_import__funding_account_id", "bulk_import__reason_code"
    ).annotate(n=Sum("credited_rows"), cents=Sum("credited_cents"))
    counted = {
        (c["bulk_import__funding_account_id"], c["bulk_import__reason_code"]): (c["n"], c["cents"])
        for c in chunks
    }
    problems: list[str] = []
    for funding_id, reason in sorted(posted.keys() | counted.keys()):
        n_posted, cents_posted = posted.get((funding_id, reason), (0, 0))
        n_counted, cents_counted = counted.get((funding_id, reason), (0, 0))
        if (n_posted, cents_posted) != (n_counted, cents_counted):
            problems.append(
                f"bulk credits from account {funding_id} ({reason}): {n_posted} postings of "
                f"{cents_posted} cents, but the imports credited {n_counted} of {cents_counted}"
            )
    for reason, kind in _CREDIT_KIND_OF_REASON.items():
        wrong = Transfer.objects.filter(reason_code=reason).exclude(
            Q(reverses__isnull=False) | Q(credit_account__kind=kind)
        )
        problems.extend(
            f"transfer {tid}: a {reason} posting that credits no line's {kind} account"
            for tid in wrong.order_by("id").values_list("id", flat=True)
        )
    return problems


def _import_problems() -> list[str]:
    """A completed import's totals are its chunks' sums; each rejection counted is kept."""
    problems: list[str] = []
    kept = dict(
        BulkImportRejection.objects.values("bulk_import_id")
        .annotate(n=Count("id"))
        .values_list("bulk_import_id", "n")
    )
    names = list(vars(_Counts()))
    totals = BulkImportChunk.objects.values("bulk_import_id").annotate(
        total_rows_read=Sum("rows_read"),
        total_credited_rows=Sum("credited_rows"),
        total_credited_cents=Sum("credited_cents"),
        total_replayed_rows=Sum("replayed_rows"),
        total_rejected_rows=Sum("rejected_rows"),
    )
    sums = {
        import_id: _Counts(*counts)
        for import_id, *counts in totals.values_list(
            "bulk_import_id", *(f"total_{name}" for name in names)
        )
    }
    for batch in BulkImport.objects.order_by("id"):
        counted = sums.get(batch.pk, _Counts())
        stored = _Counts(**{name: getattr(batch, name) for name in names})
        if batch.status == BulkImportStatus.COMPLETED and stored != counted:
            problems.append(f"bulk import {batch.pk}: its totals are not its chunks' sums")
        if kept.get(batch.pk, 0) != counted.rejected_rows:
            problems.append(
                f"bulk import {batch.pk}: {kept.get(batch.pk, 0)} rejections kept, "
                f"{counted.rejected_rows} counted"
            )
    return problems


def topup_bulk_imports_verify() -> list[str]:
    """Bulk credits match the imports' chunks; the imports' totals and rejections add up."""
    return _posting_problems() + _import_problems()
