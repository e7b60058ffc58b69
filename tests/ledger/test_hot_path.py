"""The top-up credit's hot path: the stored rows, the caller's transaction, one index per key."""

from __future__ import annotations

import psycopg
import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.forms.models import model_to_dict

from tests.conftest import is_postgres
from tests.ledger.chart import Chart, chart_open
from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.ledger.models import Account, Entry, Transfer
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.services import ledger_transfer
from topup.ledger.verify import ledger_verify

STATEMENT = "topup_ledger_posted_v1"


def credit(chart: Chart, key: str, *, actor: Actor, amount_cents: int = 700) -> Transfer:
    return ledger_transfer(
        idempotency_key=key,
        debit=chart.clearing,
        credit=chart.subscribers[0],
        amount_cents=amount_cents,
        reason_code="topup",
        actor=actor,
        memo=f"top-up {key}",
    )


def fields(transfer: Transfer) -> dict[str, object]:
    return {f.attname: getattr(transfer, f.attname) for f in Transfer._meta.concrete_fields}


@pytest.mark.django_db
def test_a_credit_returns_the_stored_transfer_and_writes_its_audit_row(
    chart: Chart, clock: FakeClock
) -> None:
    staff = Actor(actor_type="staff", actor_id="42", ip_address="192.0.2.7", request_id="req-1")
    transfer = credit(chart, "order:9:credit", actor=staff)

    stored = Transfer.objects.get(pk=transfer.pk)
    assert fields(transfer) == fields(stored)
    assert not transfer._state.adding  # a stored row, as a query returns it
    assert transfer.actor == "staff:42"
    assert transfer.memo == "top-up order:9:credit"
    event = AuditEvent.objects.get(action="ledger.posted", object_id=str(transfer.pk))
    assert model_to_dict(event, exclude=["id", "at"]) == {
        "actor_type": "staff",
        "actor_id": "42",
        "action": "ledger.posted",
        "object_type": "ledger.transfer",
        "object_id": str(transfer.pk),
        "reason": "topup",
        "ip_address": "192.0.2.7",
        "request_id": "req-1",
        "data": {
            "amount_cents": 700,
            "debit_account_id": chart.clearing.pk,
            "credit_account_id": chart.subscribers[0].pk,
        },
    }
    assert event.at == transfer.created_at == clock.now()
    assert ledger_verify() == []


class Undone(Exception):
    """Raised to roll back the caller's transaction."""


@pytest.mark.django_db(transaction=True)
def test_a_credit_is_part_of_the_callers_transaction_even_as_its_first_statement(
    system_actor: Actor,
) -> None:
    chart = chart_open()
    with pytest.raises(Undone), transaction.atomic():
        credit(chart, "order:1:credit", actor=system_actor)  # nothing ran before it
        raise Undone
    assert not Transfer.objects.exists()
    assert not AuditEvent.objects.filter(action="ledger.posted").exists()
    assert ledger_account_balance_cents(account=chart.subscribers[0]) == 0

    with transaction.atomic():
        kept = credit(chart, "order:2:credit", actor=system_actor)
    assert list(Transfer.objects.values_list("pk", flat=True)) == [kept.pk]
    assert ledger_account_balance_cents(account=chart.subscribers[0]) == 700
    assert ledger_verify() == []


def prepared_executions() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = %s",
            [STATEMENT],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_posting_is_prepared_once_per_connection(system_actor: Actor) -> None:
    chart = chart_open()
    connection.close()  # a fresh connection: nothing prepared on it yet
    assert prepared_executions() is None
    for n in range(3):
        credit(chart, f"order:{n}:credit", actor=system_actor)
    assert prepared_executions() == 3  # one statement, planned once, run three times


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_posting_deallocated_behind_its_back_is_prepared_again(system_actor: Actor) -> None:
    chart = chart_open()
    credit(chart, "order:1:credit", actor=system_actor)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    credit(chart, "order:2:credit", actor=system_actor)  # on its own: run again, prepared anew

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(ProgrammingError) as raised, transaction.atomic():
        Account.objects.count()  # the caller's transaction has begun
        credit(chart, "order:3:credit", actor=system_actor)  # aborts it: it must roll back
    assert isinstance(raised.value.__cause__, psycopg.errors.InvalidSqlStatementName)
    credit(chart, "order:4:credit", actor=system_actor)

    keys = set(Transfer.objects.values_list("idempotency_key", flat=True))
    assert keys == {"order:1:credit", "order:2:credit", "order:4:credit"}
    assert ledger_account_balance_cents(account=chart.subscribers[0]) == 2_100
    assert ledger_verify() == []


def index_definitions(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table]
        )
        return [definition.split(" USING ", 1)[1] for (definition,) in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db
def test_each_key_on_the_hot_path_has_one_index() -> None:
    """Every index here is written by every top-up (bench/ledger_post.py)."""
    assert index_definitions("ledger_entry") == ["btree (account_id, transfer_id)"]
    on_key = [d for d in index_definitions("ledger_transfer") if "idempotency_key" in d]
    assert on_key == ["btree (idempotency_key varchar_pattern_ops)"]
    on_code = [d for d in index_definitions("ledger_account") if "(code" in d]
    assert on_code == ["btree (code varchar_pattern_ops)"]


ENTRY_KEY_SQL = {
    "postgresql": """
        SELECT a.attname FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'ledger_entry'::regclass AND i.indisprimary
        ORDER BY array_position(i.indkey::int2[], a.attnum)
    """,
    "sqlite": "SELECT name FROM pragma_table_info('ledger_entry') WHERE pk > 0 ORDER BY pk",
}


def entry_key_columns() -> list[str]:
    """The entry table's primary key columns, in key order."""
    with connection.cursor() as cursor:
        cursor.execute(ENTRY_KEY_SQL[connection.vendor])
        return [name for (name,) in cursor.fetchall()]


def migrate_ledger_to(name: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", name)])


@pytest.mark.django_db(transaction=True)
def test_the_entry_key_migration_keeps_every_entry_both_ways(system_actor: Actor) -> None:
    chart = chart_open()
    for n in range(3):
        credit(chart, f"order:{n}:credit", actor=system_actor)
    entries = sorted(Entry.objects.values_list("transfer_id", "account_id", "amount_cents"))
    try:
        migrate_ledger_to("0001_initial")
        assert entry_key_columns() == ["transfer_id", "account_id"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT transfer_id, account_id, amount_cents FROM ledger_entry")
            assert sorted(cursor.fetchall()) == entries
    finally:
        migrate_ledger_to("0002_one_index_per_key")
    assert entry_key_columns() == ["account_id", "transfer_id"]
    assert sorted(Entry.objects.values_list("transfer_id", "account_id", "amount_cents")) == (
        entries
    )
    assert ledger_verify() == []
    if is_postgres():
        assert index_definitions("ledger_entry") == ["btree (account_id, transfer_id)"]
