"""`ledger_verify()` finds corruption that bypassed the services (raw SQL tampering)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.ledger.chart import Chart
from topup.audit.services import Actor
from topup.ledger.models import Account, Entry, Transfer
from topup.ledger.services import ledger_hold, ledger_transfer
from topup.ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db

ACCOUNT = Account._meta.db_table
ENTRY = Entry._meta.db_table
TRANSFER = Transfer._meta.db_table


@pytest.fixture
def busy(chart: Chart, system_actor: Actor) -> tuple[Chart, Transfer, Transfer]:
    """A sound ledger: a top-up of 10.00 and an open hold of 3.00 on the first subscriber."""
    transfer = ledger_transfer(
        idempotency_key="order:1",
        debit=chart.clearing,
        credit=chart.subscribers[0],
        amount_cents=1_000,
        reason_code="goodwill",
        actor=system_actor,
    )
    pending = ledger_hold(
        idempotency_key="plan:1",
        debit=chart.subscribers[0],
        credit=chart.revenue,
        amount_cents=300,
        reason_code="plan",
        actor=system_actor,
    )
    assert ledger_verify() == []
    return chart, transfer, pending


def tamper(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def test_a_stored_balance_that_differs_from_its_entries_is_reported(
    busy: tuple[Chart, Transfer, Transfer],
) -> None:
    chart, _, _ = busy
    subscriber = chart.subscribers[0]
    tamper(f"UPDATE {ACCOUNT} SET balance_cents = balance_cents + 7 WHERE id = %s", subscriber.pk)  # noqa: S608
    assert ledger_verify() == [
        f"account {subscriber.code}: stored balance 1007 != sum of entries 1000"
    ]


def test_an_unbalanced_transfer_is_reported(busy: tuple[Chart, Transfer, Transfer]) -> None:
    chart, transfer, _ = busy
    tamper(
        f"UPDATE {ENTRY} SET amount_cents = 1001 WHERE transfer_id = %s AND account_id = %s",  # noqa: S608
        transfer.pk,
        chart.clearing.pk,
    )
    problems = ledger_verify()
    assert f"transfer {transfer.pk}: entries sum to 1, not 0" in problems
    assert f"transfer {transfer.pk}: no debit entry for its amount" in problems


def test_a_missing_entry_is_reported(busy: tuple[Chart, Transfer, Transfer]) -> None:
    chart, transfer, _ = busy
    subscriber = chart.subscribers[0]
    tamper(
        f"DELETE FROM {ENTRY} WHERE transfer_id = %s AND account_id = %s",  # noqa: S608
        transfer.pk,
        subscriber.pk,
    )
    problems = ledger_verify()
    assert f"transfer {transfer.pk}: entries sum to 1000, not 0" in problems
    assert f"transfer {transfer.pk} (posted): has 1 entries" in problems
    assert f"account {subscriber.code}: stored balance 1000 != sum of entries 0" in problems


def test_entries_on_a_hold_are_reported(busy: tuple[Chart, Transfer, Transfer]) -> None:
    chart, _, pending = busy
    tamper(
        f"INSERT INTO {ENTRY} (transfer_id, account_id, amount_cents) VALUES (%s, %s, 300)",  # noqa: S608
        pending.pk,
        chart.subscribers[0].pk,
    )
    problems = ledger_verify()
    assert f"transfer {pending.pk} (pending): has 1 entries" in problems


def test_a_wrong_held_amount_is_reported(busy: tuple[Chart, Transfer, Transfer]) -> None:
    chart, _, _ = busy
    subscriber = chart.subscribers[0]
    tamper(f"UPDATE {ACCOUNT} SET held_cents = 100 WHERE id = %s", subscriber.pk)  # noqa: S608
    assert ledger_verify() == [f"account {subscriber.code}: held 100 != open holds 300"]


def test_an_untracked_account_with_a_stored_balance_is_reported(
    busy: tuple[Chart, Transfer, Transfer],
) -> None:
    chart, _, _ = busy
    tamper(f"UPDATE {ACCOUNT} SET balance_cents = 5 WHERE id = %s", chart.clearing.pk)  # noqa: S608
    assert ledger_verify() == [f"account {chart.clearing.code}: untracked but stores a balance"]


def test_a_negative_liability_is_reported(busy: tuple[Chart, Transfer, Transfer]) -> None:
    chart, _, _ = busy
    subscriber = chart.subscribers[1]
    # Bypass the CHECK (it allows may_go_negative accounts), then corrupt the entries to match.
    tamper(
        f"UPDATE {ACCOUNT} SET may_go_negative = %s, balance_cents = -50 WHERE id = %s",  # noqa: S608
        True,
        subscriber.pk,
    )
    tamper(
        f"UPDATE {ENTRY} SET account_id = %s WHERE account_id = %s",  # noqa: S608
        subscriber.pk,
        chart.clearing.pk,
    )
    tamper(f"UPDATE {ENTRY} SET amount_cents = 50 WHERE account_id = %s", subscriber.pk)  # noqa: S608
    problems = ledger_verify()
    assert f"account {subscriber.code}: balance below zero" in problems


def test_the_verify_command_exits_non_zero_listing_each_violation(
    busy: tuple[Chart, Transfer, Transfer], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, _, _ = busy
    call_command("ledger", "verify")
    assert "OK" in capsys.readouterr().out
    subscriber = chart.subscribers[0]
    tamper(f"UPDATE {ACCOUNT} SET balance_cents = 1001 WHERE id = %s", subscriber.pk)  # noqa: S608
    with pytest.raises(CommandError):  # `topup ledger verify` exits 1
        call_command("ledger", "verify")
    assert (
        f"VIOLATION account {subscriber.code}: stored balance 1001 != sum"
        in capsys.readouterr().err
    )
