"""The ledger façade: idempotent replays, refusals that leave nothing behind, the database CHECK."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction

from tests.ledger.chart import Chart
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.ledger.domain import LedgerRuleBroken
from topup.ledger.errors import (
    IdempotencyKeyReused,
    InsufficientBalance,
    TransferNotPending,
    TransferNotReversible,
)
from topup.ledger.models import Account, Entry, Transfer, TransferKind
from topup.ledger.selectors import (
    ledger_account_available_cents,
    ledger_account_balance_cents,
    ledger_transfers_for_account,
)
from topup.ledger.services import (
    ledger_hold,
    ledger_post_pending,
    ledger_reverse,
    ledger_transfer,
    ledger_void_pending,
)
from topup.ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db


def topup(
    chart: Chart, actor: Actor, *, key: str, amount_cents: int, subscriber: int = 0
) -> Transfer:
    return ledger_transfer(
        idempotency_key=key,
        debit=chart.clearing,
        credit=chart.subscribers[subscriber],
        amount_cents=amount_cents,
        reason_code="topup",
        actor=actor,
    )


def balance(account: Account) -> int:
    return ledger_account_balance_cents(account=account)


def snapshot() -> tuple[int, int, int, list[tuple[int, int, int]]]:
    return (
        Transfer.objects.count(),
        Entry.objects.count(),
        AuditEvent.objects.count(),
        list(Account.objects.order_by("pk").values_list("pk", "balance_cents", "held_cents")),
    )


def assert_refused_without_trace(call: Callable[[], object], error: type[Exception]) -> None:
    before = snapshot()
    with pytest.raises(error), transaction.atomic():
        call()
    assert snapshot() == before


def test_a_topup_credits_the_subscriber_and_writes_two_entries(
    chart: Chart, system_actor: Actor
) -> None:
    transfer = topup(chart, system_actor, key="order:1", amount_cents=500)
    assert balance(chart.subscribers[0]) == 500
    assert balance(chart.clearing) == 500  # an asset: the provider owes us the money
    assert sorted(transfer.entries.values_list("amount_cents", flat=True)) == [-500, 500]
    assert list(ledger_transfers_for_account(account=chart.subscribers[0])) == [transfer]
    assert AuditEvent.objects.filter(action="ledger.posted", object_id=str(transfer.pk)).exists()
    assert ledger_verify() == []


def test_replaying_a_key_returns_the_same_transfer_and_moves_money_once(
    chart: Chart, system_actor: Actor
) -> None:
    first = topup(chart, system_actor, key="order:1", amount_cents=500)
    counts = snapshot()
    again = topup(chart, system_actor, key="order:1", amount_cents=500)
    assert again.pk == first.pk
    assert snapshot() == counts
    assert balance(chart.subscribers[0]) == 500


def test_replays_of_hold_post_void_and_reversal_are_idempotent(
    chart: Chart, system_actor: Actor
) -> None:
    subscriber = chart.subscribers[0]
    original = topup(chart, system_actor, key="order:1", amount_cents=1_000)

    def hold(key: str) -> Transfer:
        return ledger_hold(
            idempotency_key=key,
            debit=subscriber,
            credit=chart.revenue,
            amount_cents=300,
            reason_code="plan",
            actor=system_actor,
        )

    pending_a, pending_b = hold("plan:a"), hold("plan:b")
    assert hold("plan:a").pk == pending_a.pk
    assert ledger_account_available_cents(account=subscriber) == 400

    def post() -> Transfer:
        return ledger_post_pending(
            pending=pending_a, idempotency_key="plan:a:post", reason_code="plan", actor=system_actor
        )

    def void() -> Transfer:
        return ledger_void_pending(
            pending=pending_b, idempotency_key="plan:b:void", reason_code="x", actor=system_actor
        )

    def reverse() -> Transfer:
        return ledger_reverse(
            transfer=original, idempotency_key="order:1:refund", reason_code="r", actor=system_actor
        )

    for call in (post, void):
        first = call()
        counts = snapshot()
        assert call().pk == first.pk
        assert snapshot() == counts
    assert (balance(subscriber), ledger_account_available_cents(account=subscriber)) == (700, 700)
    assert_refused_without_trace(reverse, InsufficientBalance)  # 700 left, 1000 to take back
    topup(chart, system_actor, key="order:2", amount_cents=300)
    first = reverse()
    counts = snapshot()
    assert reverse().pk == first.pk
    assert snapshot() == counts
    assert balance(subscriber) == 0
    assert ledger_verify() == []


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 501},
        {"credit": 1},
        {"debit": "revenue"},
    ],
)
def test_the_same_key_with_another_body_is_refused(
    chart: Chart, system_actor: Actor, change: dict[str, object]
) -> None:
    topup(chart, system_actor, key="order:1", amount_cents=500)
    body: dict[str, object] = {
        "debit": chart.clearing,
        "credit": chart.subscribers[0],
        "amount_cents": 500,
    }
    if "credit" in change:
        body["credit"] = chart.subscribers[1]
    elif "debit" in change:
        body["debit"] = chart.revenue
    else:
        body.update(change)
    assert_refused_without_trace(
        lambda: ledger_transfer(
            idempotency_key="order:1",
            reason_code="topup",
            actor=system_actor,
            **body,  # type: ignore[arg-type]
        ),
        IdempotencyKeyReused,
    )


def test_a_transfer_key_cannot_be_replayed_as_a_hold(chart: Chart, system_actor: Actor) -> None:
    topup(chart, system_actor, key="order:1", amount_cents=500)
    assert_refused_without_trace(
        lambda: ledger_hold(
            idempotency_key="order:1",
            debit=chart.clearing,
            credit=chart.subscribers[0],
            amount_cents=500,
            reason_code="topup",
            actor=system_actor,
        ),
        IdempotencyKeyReused,
    )


def test_overdraft_and_over_hold_are_refused_without_trace(
    chart: Chart, system_actor: Actor
) -> None:
    subscriber = chart.subscribers[0]
    topup(chart, system_actor, key="order:1", amount_cents=500)
    ledger_hold(
        idempotency_key="plan:1",
        debit=subscriber,
        credit=chart.revenue,
        amount_cents=200,
        reason_code="plan",
        actor=system_actor,
    )
    for service in (ledger_transfer, ledger_hold):
        assert_refused_without_trace(
            lambda service=service: service(  # type: ignore[misc]
                idempotency_key="spend:1",
                debit=subscriber,
                credit=chart.revenue,
                amount_cents=301,
                reason_code="spend",
                actor=system_actor,
            ),
            InsufficientBalance,
        )
    # A refused key was never stored: it can be used once the money is there.
    topup(chart, system_actor, key="order:2", amount_cents=1)
    ledger_transfer(
        idempotency_key="spend:1",
        debit=subscriber,
        credit=chart.revenue,
        amount_cents=301,
        reason_code="spend",
        actor=system_actor,
    )
    assert ledger_account_available_cents(account=subscriber) == 0


def test_a_tracked_asset_cannot_go_below_zero_but_a_float_may(
    chart: Chart, system_actor: Actor
) -> None:
    def pay_out(account: Account, key: str) -> Transfer:
        return ledger_transfer(
            idempotency_key=key,
            debit=chart.subscribers[0],
            credit=account,
            amount_cents=100,
            reason_code="cash_out",
            actor=system_actor,
        )

    topup(chart, system_actor, key="order:1", amount_cents=100)
    assert_refused_without_trace(
        lambda: ledger_transfer(
            idempotency_key="drawer:1",
            debit=chart.revenue,
            credit=chart.cash_drawer,
            amount_cents=1,
            reason_code="x",
            actor=system_actor,
        ),
        InsufficientBalance,
    )
    ledger_transfer(
        idempotency_key="float:1",
        debit=chart.revenue,
        credit=chart.partner_float,
        amount_cents=100,
        reason_code="float",
        actor=system_actor,
    )
    assert balance(chart.partner_float) == -100
    assert pay_out(chart.partner_float, "p").pk
    assert ledger_verify() == []


@pytest.mark.parametrize(
    ("amount_cents", "same_account"), [(0, False), (-100, False), (10**8 + 1, False), (100, True)]
)
def test_invalid_amounts_and_same_account_are_refused(
    chart: Chart, system_actor: Actor, amount_cents: int, same_account: bool
) -> None:
    credit = chart.clearing if same_account else chart.subscribers[0]
    for service in (ledger_transfer, ledger_hold):
        assert_refused_without_trace(
            lambda service=service: service(  # type: ignore[misc]
                idempotency_key="bad",
                debit=chart.clearing,
                credit=credit,
                amount_cents=amount_cents,
                reason_code="x",
                actor=system_actor,
            ),
            LedgerRuleBroken,
        )


def test_settling_twice_and_reversing_wrongly_are_refused(
    chart: Chart, system_actor: Actor
) -> None:
    subscriber = chart.subscribers[0]
    original = topup(chart, system_actor, key="order:1", amount_cents=1_000)
    pending = ledger_hold(
        idempotency_key="plan:1",
        debit=subscriber,
        credit=chart.revenue,
        amount_cents=300,
        reason_code="plan",
        actor=system_actor,
    )
    posting = ledger_post_pending(
        pending=pending, idempotency_key="plan:1:post", reason_code="plan", actor=system_actor
    )
    for settle, key in (
        (ledger_post_pending, "plan:1:post-again"),
        (ledger_void_pending, "plan:1:void"),
    ):
        assert_refused_without_trace(
            lambda settle=settle, key=key: settle(  # type: ignore[misc]
                pending=pending, idempotency_key=key, reason_code="x", actor=system_actor
            ),
            TransferNotPending,
        )
    assert_refused_without_trace(
        lambda: ledger_post_pending(
            pending=original, idempotency_key="post-a-posted", reason_code="x", actor=system_actor
        ),
        TransferNotPending,
    )
    assert_refused_without_trace(
        lambda: ledger_reverse(
            transfer=pending, idempotency_key="reverse-a-hold", reason_code="x", actor=system_actor
        ),
        TransferNotReversible,
    )
    reversal = ledger_reverse(
        transfer=posting, idempotency_key="plan:1:refund", reason_code="refund", actor=system_actor
    )
    assert reversal.reverses_id == posting.pk
    assert reversal.kind == TransferKind.POSTED
    for transfer, key in ((posting, "plan:1:refund-again"), (reversal, "refund-the-refund")):
        assert_refused_without_trace(
            lambda transfer=transfer, key=key: ledger_reverse(
                transfer=transfer, idempotency_key=key, reason_code="x", actor=system_actor
            ),
            TransferNotReversible,
        )
    assert balance(subscriber) == 1_000
    assert ledger_verify() == []


def test_a_voided_hold_releases_the_reservation_and_moves_nothing(
    chart: Chart, system_actor: Actor
) -> None:
    subscriber = chart.subscribers[0]
    topup(chart, system_actor, key="order:1", amount_cents=500)
    pending = ledger_hold(
        idempotency_key="plan:1",
        debit=subscriber,
        credit=chart.revenue,
        amount_cents=500,
        reason_code="plan",
        actor=system_actor,
    )
    assert ledger_account_available_cents(account=subscriber) == 0
    void = ledger_void_pending(
        pending=pending, idempotency_key="plan:1:void", reason_code="expired", actor=system_actor
    )
    assert not void.entries.exists()
    assert ledger_account_available_cents(account=subscriber) == 500
    assert balance(chart.revenue) == 0
    assert ledger_verify() == []


def test_the_database_check_refuses_a_direct_overdraft(chart: Chart, system_actor: Actor) -> None:
    subscriber = chart.subscribers[0]
    topup(chart, system_actor, key="order:1", amount_cents=500)
    writes = [
        {"balance_cents": -1},
        {"held_cents": 501},
        {"held_cents": -1},
    ]
    for values in writes:
        with pytest.raises(IntegrityError), transaction.atomic():
            Account.objects.filter(pk=subscriber.pk).update(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=chart.clearing.pk).update(may_go_negative=False)
    assert balance(subscriber) == 500
