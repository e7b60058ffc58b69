"""Many writers on the same few subscriber accounts (PostgreSQL): balances stay exact, never
negative, every idempotency key moves money once, and the verifier stays clean."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection

from tests.ledger.chart import Chart, chart_open
from topup.audit.services import Actor
from topup.ledger.errors import InsufficientBalance, TransferNotPending, TransferNotReversible
from topup.ledger.models import Account, Entry, Transfer, TransferKind
from topup.ledger.services import (
    ledger_hold,
    ledger_post_pending,
    ledger_reverse,
    ledger_transfer,
    ledger_void_pending,
)
from topup.ledger.verify import ledger_verify

THREADS = 32
OPERATIONS_PER_THREAD = 30
SUBSCRIBERS = 4
SEED_CENTS = 1_500
EXPECTED_REFUSALS = (InsufficientBalance, TransferNotPending, TransferNotReversible)


@dataclass(frozen=True)
class Done:
    """One successful call, as the caller asked for it."""

    key: str
    transfer_id: int
    kind: str  # posted | pending | post_pending | void_pending
    debit_id: int
    credit_id: int
    amount_cents: int
    pending_id: int | None = None


class Shared:
    """What the writer threads tell each other: holds to settle and postings to reverse."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holds: list[Transfer] = []
        self.postings: list[Transfer] = []
        self.done: list[Done] = []
        self.errors: list[str] = []
        self.refusals: dict[str, int] = {}

    def record(self, key: str, transfer: Transfer, *, kind: str) -> None:
        with self.lock:
            self.done.append(
                Done(
                    key=key,
                    transfer_id=transfer.pk,
                    kind=kind,
                    debit_id=transfer.debit_account_id,
                    credit_id=transfer.credit_account_id,
                    amount_cents=transfer.amount_cents,
                    pending_id=transfer.pending_id,
                )
            )
            if kind == TransferKind.PENDING:
                self.holds.append(transfer)
            elif kind in (TransferKind.POSTED, TransferKind.POST_PENDING):
                self.postings.append(transfer)

    def pick(self, rng: random.Random, pool: str) -> Transfer | None:
        with self.lock:
            candidates = self.holds if pool == "holds" else self.postings
            return rng.choice(candidates) if candidates else None


def writer(number: int, chart: Chart, shared: Shared, start: threading.Barrier) -> None:
    rng = random.Random(number)
    actor = Actor.system(f"writer-{number}")
    subscribers = chart.subscribers
    try:
        start.wait()
        for step in range(OPERATIONS_PER_THREAD):
            roll = rng.random()
            # Keys from small shared pools, with the body derived from the key: many threads send
            # the very same request, as retries and duplicate webhooks do.
            k = rng.randrange(80)
            unique = f"{number}:{step}"
            call: Callable[[], Transfer] | None
            if roll < 0.35:
                key, kind = f"topup:{k}", TransferKind.POSTED
                call = lambda key=key, k=k: ledger_transfer(  # noqa: E731
                    idempotency_key=key,
                    debit=chart.clearing,
                    credit=subscribers[k % SUBSCRIBERS],
                    amount_cents=100 + (k * 37) % 900,
                    reason_code="test_credit",
                    actor=actor,
                )
            elif roll < 0.50:
                key, kind = f"spend:{k}", TransferKind.POSTED
                call = lambda key=key, k=k: ledger_transfer(  # noqa: E731
                    idempotency_key=key,
                    debit=subscribers[k % SUBSCRIBERS],
                    credit=chart.revenue,
                    amount_cents=50 + (k * 53) % 700,
                    reason_code="plan",
                    actor=actor,
                )
            elif roll < 0.58:
                key, kind = f"gift:{k}", TransferKind.POSTED
                call = lambda key=key, k=k: ledger_transfer(  # noqa: E731
                    idempotency_key=key,
                    debit=subscribers[k % SUBSCRIBERS],
                    credit=subscribers[
                        (k + 1 + (k // SUBSCRIBERS) % (SUBSCRIBERS - 1)) % SUBSCRIBERS
                    ],
                    amount_cents=25 + (k * 19) % 400,
                    reason_code="gift",
                    actor=actor,
                )
            elif roll < 0.73:
                key, kind = f"hold:{k}", TransferKind.PENDING
                call = lambda key=key, k=k: ledger_hold(  # noqa: E731
                    idempotency_key=key,
                    debit=subscribers[k % SUBSCRIBERS],
                    credit=chart.revenue,
                    amount_cents=75 + (k * 41) % 600,
                    reason_code="plan",
                    actor=actor,
                )
            elif roll < 0.90:
                pending = shared.pick(rng, "holds")
                if pending is None:
                    continue
                settle, kind = rng.choice(
                    [
                        (ledger_post_pending, TransferKind.POST_PENDING),
                        (ledger_void_pending, TransferKind.VOID_PENDING),
                    ]
                )
                key = f"{kind}:{pending.pk}" if rng.random() < 0.5 else f"{kind}:{unique}"
                call = lambda key=key, pending=pending, settle=settle: settle(  # noqa: E731
                    pending=pending, idempotency_key=key, reason_code="settle", actor=actor
                )
            else:
                original = shared.pick(rng, "postings")
                if original is None:
                    continue
                key = f"reverse:{original.pk}" if rng.random() < 0.5 else f"reverse:{unique}"
                kind = TransferKind.POSTED
                call = lambda key=key, original=original: ledger_reverse(  # noqa: E731
                    transfer=original, idempotency_key=key, reason_code="correction", actor=actor
                )
            try:
                transfer = call()
            except EXPECTED_REFUSALS as refused:
                with shared.lock:
                    shared.refusals[type(refused).__name__] = (
                        shared.refusals.get(type(refused).__name__, 0) + 1
                    )
                continue
            shared.record(key, transfer, kind=kind)
    except Exception as error:  # anything else (deadlock, IntegrityError) fails the test
        with shared.lock:
            shared.errors.append(f"writer {number}: {type(error).__name__}: {error}")
    finally:
        connection.close()


def watch_available(stop: threading.Event, lowest: list[int]) -> None:
    """Sample the lowest available balance of every never-negative account while writers run."""
    table = Account._meta.db_table
    try:
        while not stop.is_set():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT MIN(balance_cents - held_cents), MIN(held_cents) FROM {table} "  # noqa: S608
                    "WHERE NOT may_go_negative"
                )
                row = cursor.fetchone()
            assert row is not None
            lowest.append(min(row[0], row[1]))
            stop.wait(0.005)
    finally:
        connection.close()


def expected_state(chart: Chart, done: list[Done]) -> dict[int, tuple[int, int]]:
    """(balance, held) per subscriber, recomputed from the distinct calls that succeeded."""
    state = {a.pk: [0, 0] for a in chart.subscribers}
    by_transfer: dict[int, Done] = {}
    for call in done:
        by_transfer.setdefault(call.transfer_id, call)
    for call in by_transfer.values():
        amount = call.amount_cents
        if call.kind in (TransferKind.POSTED, TransferKind.POST_PENDING):
            if call.debit_id in state:
                state[call.debit_id][0] -= amount
            if call.credit_id in state:
                state[call.credit_id][0] += amount
        if call.debit_id in state and call.kind == TransferKind.PENDING:
            state[call.debit_id][1] += amount
        if call.debit_id in state and call.kind in (
            TransferKind.POST_PENDING,
            TransferKind.VOID_PENDING,
        ):
            state[call.debit_id][1] -= amount
    return {pk: (balance, held) for pk, (balance, held) in state.items()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_ledger_exact() -> None:
    chart = chart_open(prefix="concurrency", subscribers=SUBSCRIBERS)
    seed = Shared()
    for index, subscriber in enumerate(chart.subscribers):
        transfer = ledger_transfer(
            idempotency_key=f"seed:{index}",
            debit=chart.clearing,
            credit=subscriber,
            amount_cents=SEED_CENTS,
            reason_code="test_credit",
            actor=Actor.system("seed"),
        )
        seed.record(f"seed:{index}", transfer, kind=TransferKind.POSTED)
    shared = Shared()
    shared.done.extend(seed.done)
    start = threading.Barrier(THREADS)
    stop = threading.Event()
    lowest: list[int] = []
    watcher = threading.Thread(target=watch_available, args=(stop, lowest))
    writers = [
        threading.Thread(target=writer, args=(n, chart, shared, start)) for n in range(THREADS)
    ]
    watcher.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=90)
    stop.set()
    watcher.join(timeout=10)

    assert shared.errors == []
    assert not any(thread.is_alive() for thread in writers)
    assert lowest and min(lowest) >= 0, "an account went below zero while writers ran"
    kinds = {call.kind for call in shared.done}
    assert kinds == {"posted", "pending", "post_pending", "void_pending"}, kinds
    assert {"InsufficientBalance", "TransferNotPending"} <= shared.refusals.keys()

    # Every key names one transfer, whichever thread asked, and nothing else was written.
    transfer_for_key: dict[str, set[int]] = {}
    for call in shared.done:
        transfer_for_key.setdefault(call.key, set()).add(call.transfer_id)
    assert all(len(ids) == 1 for ids in transfer_for_key.values())
    assert len(shared.done) > len(transfer_for_key), "no key was sent twice"
    stored = dict(Transfer.objects.values_list("idempotency_key", "pk"))
    assert stored == {key: next(iter(ids)) for key, ids in transfer_for_key.items()}
    moving = [c.transfer_id for c in shared.done if c.kind in ("posted", "post_pending")]
    for transfer_id in set(moving):
        assert Entry.objects.filter(transfer_id=transfer_id).count() == 2

    expected = expected_state(chart, shared.done)
    actual = {
        pk: (balance, held)
        for pk, balance, held in Account.objects.filter(
            pk__in=[a.pk for a in chart.subscribers]
        ).values_list("pk", "balance_cents", "held_cents")
    }
    assert actual == expected
    assert all(balance >= held >= 0 for balance, held in actual.values())
    assert ledger_verify() == []
