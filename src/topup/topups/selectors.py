"""Reads of top-up orders."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext

from topup.core.money import format_amount_for_locale
from topup.core.prepared import HotQuery, Param, hot_query
from topup.core.rawsql import model_columns, models_from_rows
from topup.ledger.models import Transfer, TransferKind
from topup.messaging.models import SmsMessage, SmsPurpose
from topup.payments.models import PaymentAttempt, WebhookEvent
from topup.subscribers.models import Sim
from topup.subscribers.selectors import sim_has_open_hold
from topup.topups.errors import TopupNotFound
from topup.topups.models import (
    TopupOrder,
    TopupRefund,
    TopupRefundStatus,
    TopupStatus,
    TopupTransition,
)

MAX_PAGE_SIZE = 100

# Orders that count against limits: everything not failed or expired.
COUNTING_STATUSES = (
    TopupStatus.CREATED,
    TopupStatus.AWAITING_PAYMENT,
    TopupStatus.PAID,
    TopupStatus.CREDITED,
)


def topup_order_get(*, order_id: uuid.UUID | str) -> TopupOrder:
    try:
        return TopupOrder.objects.select_related("sim").get(pk=order_id)
    except (TopupOrder.DoesNotExist, ValueError) as error:
        raise TopupNotFound(details={"id": str(order_id)}) from error


def topup_orders_for_sim(*, sim: Sim, limit: int = 20, offset: int = 0) -> list[TopupOrder]:
    """Orders credited to or requested by this line, newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    queryset = TopupOrder.objects.filter(sim=sim) | TopupOrder.objects.filter(requested_by=sim)
    return list(queryset.select_related("sim").order_by("-created_at")[offset : offset + limit])


def topup_amounts_since_cents(
    *, starts: Mapping[str, dt.datetime], sim: Sim | None = None, instrument_hash: str = ""
) -> dict[str, int]:
    """Sums of counting orders since each start (name -> cents), for one target line or one
    payment instrument: one query for all the periods (a day and a month share one scan).

    Every top-up runs it under the line's lock: written in SQL (prepared on PostgreSQL), as the
    ORM's aggregate with filters cost more to compile than the indexed read costs the database.
    """
    if not starts:
        return {}
    sql, params = _amounts_since_sql(starts, sim=sim, instrument_hash=instrument_hash)
    (row,) = hot_query(sql).rows(params)  # an aggregate without GROUP BY answers one row
    return {name: int(str(total)) for name, total in zip(starts, row, strict=True)}


@dataclass(frozen=True)
class LineLocked:
    sim: Sim
    key_order: TopupOrder | None  # the order the idempotency key made already, if any


def topup_line_lock(*, e164: str, scope: str, key: str) -> LineLocked | None:
    """The line with this (E.164) number, its row locked until the transaction ends, and the
    order the idempotency key made already (for any line): one statement, as every top-up
    starts so. None when there is no such line."""
    rows = _line_lock_query(connection.vendor).rows([scope, key, e164])
    if not rows:
        return None
    width = len(Sim._meta.concrete_fields)
    (sim,) = models_from_rows(Sim, [rows[0][:width]])
    order_values = rows[0][width:]
    if order_values[0] is None:
        return LineLocked(sim=sim, key_order=None)
    (order,) = models_from_rows(TopupOrder, [order_values])
    if order.sim_id == sim.pk:
        order.sim = sim
    return LineLocked(sim=sim, key_order=order)


@functools.cache
def _line_lock_query(vendor: str) -> HotQuery:
    lock = " FOR UPDATE OF s" if vendor == "postgresql" else ""  # SQLite locks the database
    return hot_query(
        f"SELECT {model_columns(Sim, 's')}, {model_columns(TopupOrder, 'o')}"  # noqa: S608
        " FROM subscribers_sim s LEFT JOIN topups_topuporder o"
        " ON o.idempotency_scope = %s AND o.idempotency_key = %s"
        f" WHERE s.msisdn = %s{lock}"
    )


@dataclass(frozen=True)
class LineFigures:
    """What a new top-up on a line is checked against, read under the line's lock."""

    held: bool  # an open hold: the line takes no top-up until its owner is verified again
    used_cents: dict[str, int]  # name -> cents of counting orders since that start


def topup_line_figures(*, sim: Sim, starts: Mapping[str, dt.datetime]) -> LineFigures:
    """The line's open hold and its sums since each start: one statement, as every top-up reads
    both under the line's lock."""
    if not starts:
        return LineFigures(held=sim_has_open_hold(sim=sim), used_cents={})
    held = (
        "EXISTS (SELECT 1 FROM subscribers_linehold h WHERE h.sim_id = %s AND h.cleared_at IS NULL)"
    )
    sql, params = _amounts_since_sql(starts, sim=sim, instrument_hash="", first_column=held)
    (row,) = hot_query(sql).rows([sim.pk, *params])
    used = {name: int(str(total)) for name, total in zip(starts, row[1:], strict=True)}
    return LineFigures(held=bool(row[0]), used_cents=used)


def _amounts_since_sql(
    starts: Mapping[str, dt.datetime],
    *,
    sim: Sim | None,
    instrument_hash: str,
    first_column: str = "",
) -> tuple[str, list[Param]]:
    """The sums' SELECT and its parameters, after `first_column`'s own (when there is one)."""
    names = list(starts)
    table = TopupOrder._meta.db_table
    sum_since = "COALESCE(SUM(amount_cents) FILTER (WHERE created_at >= %s), 0)"
    sums = ", ".join([*filter(None, [first_column]), *[sum_since] * len(names)])
    where = ["created_at >= %s", f"status IN ({', '.join(['%s'] * len(COUNTING_STATUSES))})"]
    params: list[Param] = [_when(starts[name]) for name in names]
    params += [_when(min(starts.values())), *(str(status) for status in COUNTING_STATUSES)]
    if sim is not None:
        where.append("sim_id = %s")
        params.append(sim.pk)
    if instrument_hash:
        where.append("payment_instrument_hash = %s")
        params.append(instrument_hash)
    sql = f"SELECT {sums} FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608 - fixed parts
    return sql, params


def _when(moment: dt.datetime) -> str | dt.datetime:
    """The moment as the database compares it (naive UTC text on SQLite)."""
    value: str | dt.datetime = TopupOrder._meta.get_field("created_at").get_db_prep_value(
        moment, connection
    )
    return value


MAX_FILTERED_ROWS = 5000  # the most one history read returns (a page, or a CSV export)


def _orders_of_line(sim: Sim) -> QuerySet[TopupOrder]:
    return TopupOrder.objects.filter(Q(sim=sim) | Q(requested_by=sim))


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of this day in the operator's time zone: the customer's calendar, not UTC's."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def topup_orders_filtered(
    *,
    sim: Sim,
    since: dt.date | None,
    until: dt.date | None,
    status: str | None,
    target_sim_id: int | None,
    limit: int,
    offset: int,
) -> list[TopupOrder]:
    """This line's orders (credited to it or requested by it), newest first, narrowed by the
    period (both days included), the status and the line credited."""
    limit = max(1, min(limit, MAX_FILTERED_ROWS))
    offset = max(0, offset)
    queryset = _orders_of_line(sim)
    if since is not None:
        queryset = queryset.filter(created_at__gte=_day_start(since))
    if until is not None:
        queryset = queryset.filter(created_at__lt=_day_start(until + dt.timedelta(days=1)))
    if status:
        queryset = queryset.filter(status=status)
    if target_sim_id is not None:
        queryset = queryset.filter(sim_id=target_sim_id)
    ordered = queryset.select_related("sim").order_by("-created_at", "-id")
    return list(ordered[offset : offset + limit])


def topup_order_lines_for_sim(*, sim: Sim) -> list[Sim]:
    """The lines that appear in this line's history (itself and the numbers it topped up)."""
    target_ids = _orders_of_line(sim).values("sim_id")
    return list(Sim.objects.filter(pk__in=target_ids).order_by("msisdn"))


# --- The timeline of one order (customer service) ----------------------------------------------

TimelineKind = Literal["transition", "payment_call", "webhook", "sms", "ledger", "dispute"]
TIMELINE_MAX_PER_SOURCE = 100  # an order has a handful of each; a runaway retry loop is cut off


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened to an order, from whichever table recorded it."""

    at: dt.datetime
    kind: TimelineKind
    summary: str
    actor: str
    cause: str


def _transition_events(order: TopupOrder) -> list[TimelineEvent]:
    transitions = TopupTransition.objects.filter(order=order).order_by("at", "id")
    return [
        TimelineEvent(
            at=transition.at,
            kind="transition",
            summary=f"{transition.from_status or '∅'} → {transition.to_status}",
            actor=transition.actor,
            cause=transition.cause,
        )
        for transition in transitions[:TIMELINE_MAX_PER_SOURCE]
    ]


def _payment_call_events(order: TopupOrder) -> list[TimelineEvent]:
    attempts = PaymentAttempt.objects.filter(reference=str(order.pk)).order_by("at", "id")
    return [
        TimelineEvent(
            at=attempt.at,
            kind="payment_call",
            summary=gettext("%(provider)s %(operation)s: %(outcome)s in %(duration_ms)d ms")
            % {
                "provider": attempt.provider,
                "operation": attempt.operation,
                "outcome": gettext("ok") if attempt.succeeded else attempt.error_code,
                "duration_ms": attempt.duration_ms,
            },
            actor="platform",
            # The summaries hold statuses and failure codes, never card data.
            cause=str(attempt.response_summary.get("status", "") or attempt.error_code),
        )
        for attempt in attempts[:TIMELINE_MAX_PER_SOURCE]
    ]


def _webhook_events(order: TopupOrder) -> list[TimelineEvent]:
    if not order.provider_payment_id:
        return []
    webhooks = WebhookEvent.objects.filter(
        provider=order.payment_provider, provider_payment_id=order.provider_payment_id
    ).order_by("received_at", "id")
    return [
        TimelineEvent(
            at=webhook.received_at,
            kind="webhook",
            summary=f"{webhook.event_type} ({webhook.event_id})",
            actor=f"provider:{webhook.provider}",
            cause="",
        )
        for webhook in webhooks[:TIMELINE_MAX_PER_SOURCE]
    ]


def _order_transfers(order: TopupOrder, related: Sequence[Transfer]) -> list[Transfer]:
    """The credit and what reversed it, the refunds' holds and how each was settled, any
    movement keyed to this order, and the related ones the caller knows of (a dispute's)."""
    ids = {transfer.pk for transfer in related}
    if order.credit_transfer_id is not None:
        ids.add(order.credit_transfer_id)
        ids.update(
            Transfer.objects.filter(reverses_id=order.credit_transfer_id).values_list(
                "pk", flat=True
            )
        )
    refunds = list(TopupRefund.objects.filter(order=order)[:TIMELINE_MAX_PER_SOURCE])
    holds = {refund.hold_id for refund in refunds}
    ids.update(holds)
    ids.update(refund.transfer_id for refund in refunds if refund.transfer_id is not None)
    ids.update(Transfer.objects.filter(pending_id__in=holds).values_list("pk", flat=True))
    keyed = Transfer.objects.filter(idempotency_key__startswith=f"topup:{order.pk}:")
    ids.update(keyed.values_list("pk", flat=True)[:TIMELINE_MAX_PER_SOURCE])
    transfers = Transfer.objects.filter(pk__in=ids).select_related(
        "debit_account", "credit_account"
    )
    return sorted(transfers, key=lambda transfer: (transfer.created_at, transfer.pk))


def _transfer_summary(transfer: Transfer, language: str) -> str:
    movement = gettext("%(amount)s from %(debit)s to %(credit)s") % {
        "amount": format_amount_for_locale(transfer.amount_cents, language),
        "debit": transfer.debit_account.name,
        "credit": transfer.credit_account.name,
    }
    if transfer.kind == TransferKind.PENDING:
        return gettext("Hold: %(movement)s") % {"movement": movement}
    if transfer.kind == TransferKind.POST_PENDING:
        return gettext("Hold posted: %(movement)s") % {"movement": movement}
    if transfer.kind == TransferKind.VOID_PENDING:
        return gettext("Hold released: %(movement)s") % {"movement": movement}
    return movement


def _ledger_events(order: TopupOrder, related: Sequence[Transfer]) -> list[TimelineEvent]:
    language = get_language() or "en"
    return [
        TimelineEvent(
            at=transfer.created_at,
            kind="ledger",
            summary=_transfer_summary(transfer, language),
            actor=transfer.actor,
            cause=" — ".join(part for part in (transfer.reason_code, transfer.memo) if part),
        )
        for transfer in _order_transfers(order, related)
    ]


def _sms_events(order: TopupOrder) -> list[TimelineEvent]:
    """The receipt SMS (and any resends): receipt messages to the line naming this receipt."""
    if not order.receipt_number:
        return []
    messages = SmsMessage.objects.filter(
        msisdn=order.sim.msisdn, purpose=SmsPurpose.RECEIPT, body__contains=order.receipt_number
    ).order_by("created_at", "id")
    return [
        TimelineEvent(
            at=message.created_at,
            kind="sms",
            summary=gettext("Receipt SMS from %(sender)s: %(status)s")
            % {"sender": message.sender_name, "status": message.status},
            actor="platform",
            cause=message.last_error,
        )
        for message in messages[:TIMELINE_MAX_PER_SOURCE]
    ]


def topup_order_timeline(
    *, order: TopupOrder, related_transfers: Sequence[Transfer] = ()
) -> list[TimelineEvent]:
    """Everything recorded about an order — its transitions, the calls to the payment provider,
    the provider's webhooks, the ledger movements and the receipt SMS — in the order it happened.

    `related_transfers`: movements recorded by a higher layer for this order (a dispute's goodwill
    credit), which this layer cannot find by itself.
    """
    events = [
        *_transition_events(order),
        *_payment_call_events(order),
        *_webhook_events(order),
        *_ledger_events(order, related_transfers),
        *_sms_events(order),
    ]
    # Stable: what happened in the same instant keeps the order of the sources above.
    return sorted(events, key=lambda event: event.at)


# --- Refunds of an order ---------------------------------------------------------------------


def topup_order_refunded_cents(*, order: TopupOrder) -> int:
    """What the provider has refunded of this order (refunds settled in the ledger)."""
    total = TopupRefund.objects.filter(order=order, status=TopupRefundStatus.REFUNDED).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return int(total or 0)


def topup_order_refundable_cents(*, order: TopupOrder, excluding_key: str = "") -> int:
    """The order's amount minus its refunds made or in flight (all but `excluding_key`'s)."""
    taken = (
        TopupRefund.objects.filter(
            order=order, status__in=(TopupRefundStatus.RESERVED, TopupRefundStatus.REFUNDED)
        )
        .exclude(refund_key=excluding_key)
        .aggregate(total=Sum("amount_cents"))["total"]
    )
    return max(0, order.amount_cents - int(taken or 0))


def topup_refund_get(*, refund_key: str) -> TopupRefund | None:
    return TopupRefund.objects.filter(refund_key=refund_key).first()


def topup_refunds_for_order(*, order: TopupOrder) -> QuerySet[TopupRefund]:
    """The order's refunds, oldest first, with their ledger postings."""
    return (
        TopupRefund.objects.filter(order=order)
        .select_related("transfer")
        .order_by("created_at", "id")
    )
