"""A posted transfer in one PostgreSQL statement: the hot path of every top-up credit.

Transfer, balance update, both entries and the audit row are data-modifying CTEs of a single
statement, so a credit costs one round trip and is atomic even outside a transaction. The
overdraft rule is the table's CHECK constraint, evaluated on the locked row: a refused credit
fails the whole statement and nothing is written. Only for transfers that touch at most one
balance-tracked account (a single UPDATE then locks a single row, so lock order is moot).

`transfers_posted_in_bulk` is the same posting, set-based, for a batch of credits from one
untracked account (bulk top-ups): the batch is copied into a temporary table, one statement
inserts the transfers, their entries and their audit rows, and one UPDATE grows each credited
balance once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import psycopg
import psycopg.errors
from django.db import IntegrityError, connection
from psycopg import sql

from topup.audit.services import Actor, audit_request_id
from topup.core.prepared import PreparedStatement
from topup.ledger.errors import InsufficientBalance

_OVERDRAFT_CONSTRAINT: Final = "ledger_account_available_not_negative"

# Parameters: $1 key, $2 debit id, $3 credit id, $4 amount, $5 reason, $6 actor label, $7 memo,
# $8 created at, $9 tracked delta, $10 tracked account id (0: none), $11 actor type,
# $12 actor id, $13 ip address ('' for none), $14 request id. Every one is cast, so the
# statement's types do not depend on the values of its first call. Text values only: no NULL.
_SQL: Final = """
WITH t AS (
    INSERT INTO ledger_transfer (idempotency_key, kind, debit_account_id, credit_account_id,
        amount_cents, reason_code, pending_id, reverses_id, actor, memo, created_at)
    VALUES ($1::varchar, 'posted', $2::bigint, $3::bigint, $4::bigint, $5::varchar, NULL, NULL,
        $6::varchar, $7::varchar, $8::timestamptz)
    ON CONFLICT DO NOTHING
    RETURNING id
), u AS (
    UPDATE ledger_account SET balance_cents = balance_cents + $9::bigint
    WHERE id = $10::bigint AND EXISTS (SELECT 1 FROM t)
    RETURNING id
), e AS (
    INSERT INTO ledger_entry (transfer_id, account_id, amount_cents)
    SELECT t.id, v.account_id, v.amount_cents FROM t
    CROSS JOIN (VALUES ($2::bigint, $4::bigint), ($3::bigint, -$4::bigint))
        AS v(account_id, amount_cents)
), a AS (
    INSERT INTO audit_auditevent (at, actor_type, actor_id, action, object_type, object_id,
        reason, ip_address, request_id, data)
    SELECT $8::timestamptz, $11::varchar, $12::varchar, 'ledger.posted', 'ledger.transfer',
        t.id::text, $5::varchar, NULLIF($13::varchar, '')::inet, $14::varchar,
        jsonb_build_object('amount_cents', $4::bigint, 'debit_account_id', $2::bigint,
                           'credit_account_id', $3::bigint)
    FROM t
)
SELECT id, (SELECT count(*) FROM u) FROM t
"""
_POSTING: Final = PreparedStatement("topup_ledger_posted_v1", _SQL)


def transfer_posted_in_one_statement(
    *,
    idempotency_key: str,
    debit_id: int,
    credit_id: int,
    amount_cents: int,
    reason_code: str,
    actor: Actor,
    memo: str,
    tracked_account_id: int | None,
    tracked_delta_cents: int,
    created_at: dt.datetime,
) -> int | None:
    """The new transfer's id, or None when a transfer with this key already exists.

    Runs in the caller's transaction when there is one, else as a transaction of its own.
    """
    values = [
        idempotency_key.encode(),
        str(debit_id).encode(),
        str(credit_id).encode(),
        str(amount_cents).encode(),
        reason_code.encode(),
        actor.label()[:100].encode(),
        memo[:255].encode(),
        created_at.isoformat().encode(),
        str(tracked_delta_cents).encode(),
        str(tracked_account_id or 0).encode(),
        actor.actor_type.encode(),
        actor.actor_id.encode(),
        (actor.ip_address or "").encode(),
        audit_request_id(actor).encode(),
    ]
    try:
        result = _POSTING.run(values)
    except IntegrityError as error:
        cause = error.__cause__
        if (
            isinstance(cause, psycopg.errors.CheckViolation)
            and cause.diag.constraint_name == _OVERDRAFT_CONSTRAINT
        ):
            raise InsufficientBalance(details={"account_id": tracked_account_id}) from error
        raise
    if result.ntuples == 0:
        return None
    transfer_id, updated = result.get_value(0, 0), result.get_value(0, 1)
    assert transfer_id is not None and updated is not None
    assert int(updated) == (1 if tracked_account_id else 0), "tracked account vanished"
    return int(transfer_id)


@dataclass(frozen=True)
class BulkCredit:
    """One credit asked for in a batch: its idempotency key decides whether it is new."""

    idempotency_key: str
    credit_account_id: int
    amount_cents: int


_STAGING: Final = "ledger_bulk_credit"
_STAGING_SQL: Final = f"""
CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (
    idempotency_key text NOT NULL, credit_account_id bigint NOT NULL, amount_cents bigint NOT NULL
) ON COMMIT DELETE ROWS
"""
_COPY_SQL: Final = f"COPY {_STAGING} (idempotency_key, credit_account_id, amount_cents) FROM STDIN"

# The credited accounts are locked in id order first, so two batches crediting the same lines
# wait for each other instead of deadlocking. FOR NO KEY UPDATE is the lock the UPDATE takes
# anyway; it does not block the key-share locks of other transactions' foreign-key checks.
_BULK_LOCK_SQL: Final = """
SELECT id, account_type, balance_tracked FROM ledger_account
WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id FOR NO KEY UPDATE
"""

# A key already stored is skipped (ON CONFLICT): only the transfers inserted now (`t`) get
# entries and audit rows, and only they are returned to move a balance.
_BULK_POST_SQL: Final = f"""
WITH t AS (
    INSERT INTO ledger_transfer (idempotency_key, kind, debit_account_id, credit_account_id,
        amount_cents, reason_code, pending_id, reverses_id, actor, memo, created_at)
    SELECT s.idempotency_key, 'posted', %(debit)s, s.credit_account_id, s.amount_cents,
        %(reason)s, NULL, NULL, %(actor)s, %(memo)s, %(at)s::timestamptz
    FROM {_STAGING} s
    ON CONFLICT DO NOTHING
    RETURNING id, idempotency_key, credit_account_id, amount_cents
), e AS (
    INSERT INTO ledger_entry (transfer_id, account_id, amount_cents)
    SELECT t.id, v.account_id, v.amount_cents FROM t
    CROSS JOIN LATERAL (VALUES (%(debit)s::bigint, t.amount_cents),
        (t.credit_account_id, -t.amount_cents)) AS v(account_id, amount_cents)
), a AS (
    INSERT INTO audit_auditevent (at, actor_type, actor_id, action, object_type, object_id,
        reason, ip_address, request_id, data)
    SELECT %(at)s::timestamptz, %(actor_type)s, %(actor_id)s, 'ledger.posted', 'ledger.transfer',
        t.id::text, %(reason)s, %(ip)s::inet, %(request_id)s,
        jsonb_build_object('amount_cents', t.amount_cents, 'debit_account_id', %(debit)s::bigint,
                           'credit_account_id', t.credit_account_id)
    FROM t
)
SELECT t.idempotency_key, t.id, t.credit_account_id, t.amount_cents FROM t
"""  # noqa: S608 - fixed names, values are parameters

# One UPDATE per batch, each account once, in id order (the rows are locked already).
_BULK_BALANCES_SQL: Final = """
UPDATE ledger_account acc SET balance_cents = acc.balance_cents + d.delta_cents
FROM unnest(%(ids)s::bigint[], %(deltas)s::bigint[]) AS d(id, delta_cents)
WHERE acc.id = d.id
"""

_LEDGER_FOREIGN_KEYS_SQL: Final = """
SELECT conname FROM pg_constraint
WHERE conrelid IN ('ledger_transfer'::regclass, 'ledger_entry'::regclass)
    AND contype = 'f' AND condeferrable AND condeferred
ORDER BY conname
"""

_PLANNER_SETTINGS: Final = ("enable_mergejoin", "enable_hashjoin")


@contextmanager
def _foreign_keys_checked_at_once(cursor: psycopg.Cursor[tuple[str, ...]]) -> Iterator[None]:
    """Check the ledger's foreign keys at the end of the statement, not at commit.

    The keys are deferred (Django's default), so each batch's checks would run at commit, after
    the balance UPDATE has made new versions of the account rows: each check must then lock a
    fresh row version. Checked at once, before the UPDATE, they find the account rows already
    locked by this transaction (`_BULK_LOCK_SQL`), which costs a fraction. Not restored on an
    error: the transaction (or savepoint) is rolled back, the setting with it.
    """
    cursor.execute(_LEDGER_FOREIGN_KEYS_SQL)
    deferred = [sql.Identifier(name) for (name,) in cursor.fetchall()]
    if not deferred:  # checked at once already
        yield
        return
    names = sql.SQL(", ").join(deferred)
    cursor.execute(sql.SQL("SET CONSTRAINTS {} IMMEDIATE").format(names))
    yield
    cursor.execute(sql.SQL("SET CONSTRAINTS {} DEFERRED").format(names))


@contextmanager
def _probing_accounts_by_index(cursor: psycopg.Cursor[tuple[str, ...]]) -> Iterator[None]:
    """Join the batch to its accounts by index probes, then restore the planner's settings.

    The planner cannot know how few of all accounts a batch touches: left alone it may walk the
    whole account index for a merge join instead of probing it once per credited account.
    """
    cursor.execute("SELECT current_setting('enable_mergejoin'), current_setting('enable_hashjoin')")
    saved = cursor.fetchone()
    assert saved is not None
    for name in _PLANNER_SETTINGS:
        cursor.execute("SELECT set_config(%s, 'off', true)", [name])
    yield
    for name, value in zip(_PLANNER_SETTINGS, saved, strict=True):
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _bigint_array(values: Iterable[int]) -> str:
    """An array literal: psycopg's list adapter costs more than the query for 5,000 numbers."""
    return "{" + ",".join(map(str, values)) + "}"


def _bulk_lock(cursor: psycopg.Cursor[tuple[int, str, bool]], credits: list[BulkCredit]) -> None:
    """Lock the credited accounts in id order; each must be a tracked liability (credit grows)."""
    ids = sorted({credit.credit_account_id for credit in credits})
    cursor.execute(_BULK_LOCK_SQL, {"ids": _bigint_array(ids)})
    rows = cursor.fetchall()
    assert len(rows) == len(ids), "a credited account does not exist"
    for account_id, account_type, tracked in rows:
        assert tracked, f"account {account_id}: a bulk credit goes to a tracked account"
        assert account_type == "liability", f"account {account_id}: a credit must grow it"


def _bulk_stage(cursor: psycopg.Cursor[tuple[str, ...]], credits: list[BulkCredit]) -> None:
    cursor.execute(_STAGING_SQL)
    cursor.execute(f"TRUNCATE {_STAGING}")  # inside an enclosing transaction nothing committed
    with cursor.copy(_COPY_SQL) as copy:
        for credit in credits:
            copy.write_row((credit.idempotency_key, credit.credit_account_id, credit.amount_cents))


def _bulk_balances(
    cursor: psycopg.Cursor[tuple[str, ...]], posted: list[tuple[str, int, int, int]]
) -> None:
    """Grow each credited account by the sum of its transfers posted now."""
    deltas: dict[int, int] = {}
    for _key, _transfer_id, account_id, amount_cents in posted:
        deltas[account_id] = deltas.get(account_id, 0) + amount_cents
    ids = sorted(deltas)
    with _probing_accounts_by_index(cursor):
        cursor.execute(
            _BULK_BALANCES_SQL,
            {"ids": _bigint_array(ids), "deltas": _bigint_array(deltas[i] for i in ids)},
        )
        updated = cursor.rowcount
    assert updated == len(ids), "a credited account vanished"


def transfers_posted_in_bulk(
    *,
    credits: list[BulkCredit],
    debit_id: int,
    reason_code: str,
    actor: Actor,
    memo: str,
    created_at: dt.datetime,
) -> dict[str, int]:
    """Post many credits from one untracked account, inside the caller's transaction.

    Returns {idempotency key: transfer id} of the transfers inserted now. A key already stored
    is left out and moves nothing: the caller tells a replay from a key reused for something
    else. Every credited account is a tracked liability, which a credit only grows, so no
    overdraft can refuse part of a batch. Order: lock the accounts, stage the batch (COPY),
    insert transfers, entries and audit rows (foreign keys checked there), update balances.
    """
    if not credits:
        return {}
    assert connection.in_atomic_block, "a batch is posted inside the caller's transaction"
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, psycopg.Connection)
    with psycopg.Cursor(raw) as cursor:
        _bulk_lock(cursor, credits)
        _bulk_stage(cursor, credits)
        with _foreign_keys_checked_at_once(cursor):
            cursor.execute(
                _BULK_POST_SQL, _bulk_params(debit_id, reason_code, actor, memo, created_at)
            )
            posted: list[tuple[str, int, int, int]] = cursor.fetchall()
        _bulk_balances(cursor, posted)
    return {key: transfer_id for key, transfer_id, _, _ in posted}


def _bulk_params(
    debit_id: int, reason_code: str, actor: Actor, memo: str, created_at: dt.datetime
) -> dict[str, str | int | dt.datetime | None]:
    return {
        "debit": debit_id,
        "reason": reason_code,
        "actor": actor.label()[:100],
        "memo": memo[:255],
        "at": created_at,
        "actor_type": actor.actor_type,
        "actor_id": actor.actor_id,
        "ip": actor.ip_address,
        "request_id": audit_request_id(actor),
    }
