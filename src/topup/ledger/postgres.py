"""A posted transfer in one PostgreSQL statement: the hot path of every top-up credit.

Transfer, balance update, both entries and the audit row are data-modifying CTEs of a single
statement, so a credit costs one round trip and is atomic even outside a transaction. The
overdraft rule is the table's CHECK constraint, evaluated on the locked row: a refused credit
fails the whole statement and nothing is written. Only for transfers that touch at most one
balance-tracked account (a single UPDATE then locks a single row, so lock order is moot).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Final

import psycopg
import psycopg.errors
from django.db import IntegrityError, connection

from topup.audit.services import Actor, audit_request_id
from topup.ledger.errors import InsufficientBalance

_OVERDRAFT_CONSTRAINT: Final = "ledger_account_available_not_negative"

_SQL: Final = """
WITH t AS (
    INSERT INTO ledger_transfer (idempotency_key, kind, debit_account_id, credit_account_id,
        amount_cents, reason_code, pending_id, reverses_id, actor, memo, created_at)
    VALUES (%(key)s, 'posted', %(debit)s, %(credit)s, %(amount)s, %(reason)s, NULL, NULL,
        %(actor)s, %(memo)s, %(at)s::timestamptz)
    ON CONFLICT DO NOTHING
    RETURNING id
), u AS (
    UPDATE ledger_account SET balance_cents = balance_cents + %(delta)s
    WHERE id = %(tracked)s AND EXISTS (SELECT 1 FROM t)
    RETURNING id
), e AS (
    INSERT INTO ledger_entry (transfer_id, account_id, amount_cents)
    SELECT t.id, v.account_id, v.amount_cents FROM t
    CROSS JOIN (VALUES (%(debit)s::bigint, %(amount)s::bigint),
                       (%(credit)s::bigint, -%(amount)s::bigint)) AS v(account_id, amount_cents)
), a AS (
    INSERT INTO audit_auditevent (at, actor_type, actor_id, action, object_type, object_id,
        reason, ip_address, request_id, data)
    SELECT %(at)s::timestamptz, %(actor_type)s, %(actor_id)s, 'ledger.posted', 'ledger.transfer',
        t.id::text, %(reason)s, %(ip)s::inet, %(request_id)s, %(data)s::jsonb
    FROM t
)
SELECT id, (SELECT count(*) FROM u) FROM t
"""


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
    """The new transfer's id, or None when a transfer with this key already exists."""
    params: dict[str, str | int | dt.datetime | None] = {
        "key": idempotency_key,
        "debit": debit_id,
        "credit": credit_id,
        "amount": amount_cents,
        "reason": reason_code,
        "actor": actor.label()[:100],
        "memo": memo[:255],
        "at": created_at,
        "delta": tracked_delta_cents,
        "tracked": tracked_account_id if tracked_account_id is not None else 0,
        "actor_type": actor.actor_type,
        "actor_id": actor.actor_id,
        "ip": actor.ip_address,
        "request_id": audit_request_id(actor),
        "data": json.dumps(
            {
                "amount_cents": amount_cents,
                "debit_account_id": debit_id,
                "credit_account_id": credit_id,
            }
        ),
    }
    connection.ensure_connection()
    # A server-side prepared statement: PostgreSQL plans this five-part statement once per
    # connection instead of on every credit.
    raw = connection.connection
    assert isinstance(raw, psycopg.Connection)
    try:
        with psycopg.Cursor(raw) as cursor:
            cursor.execute(_SQL, params, prepare=True)
            row = cursor.fetchone()
    except psycopg.errors.CheckViolation as error:
        if error.diag.constraint_name == _OVERDRAFT_CONSTRAINT:
            raise InsufficientBalance(details={"account_id": tracked_account_id}) from error
        raise IntegrityError(str(error)) from error
    if row is None:
        return None
    transfer_id, updated = int(row[0]), int(row[1])
    assert updated == (1 if tracked_account_id is not None else 0), "tracked account vanished"
    return transfer_id
