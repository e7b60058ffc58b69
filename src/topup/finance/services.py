"""Finance writes: import a provider's settlement report and reconcile it, resolve a difference.

Reconciling compares each line with the ledger. The ledger's side of a payment is what it
posted through the provider's clearing account: the credit of the top-up order the payment
paid (a capture), and the refunds of that order posted after the provider confirmed them.
Lines of the same payment and type in earlier reports count as already settled, so:

- expected = the ledger's amount for (payment, type) minus what earlier reports settled;
- matched: the line's amount is the expected one; amount_mismatch: it is another, non-zero one;
- missing_in_ledger: nothing is expected (a payment the platform does not know, did not credit,
  or that an earlier report already settled);
- missing_in_report: the ledger posted it on one of the report's days (Brussels), no report
  settled it, and this report has no line for it.

The provider's fees leave its clearing account for the "payment_fees" expense in one transfer
per report. Resolving a difference either posts it between the clearing account and
"settlement_differences" (the direction follows its sign), or, for a difference that is not
money lost or found (e.g. "timing: it appears in tomorrow's report"), closes it without a
transfer. Both need a reason, and both are audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from topup.audit.services import Actor, audit_record
from topup.core import clock
from topup.finance.bulk_rows import Row, batches, rows_insert
from topup.finance.errors import (
    ReconciliationItemResolved,
    ReconciliationReasonRequired,
    SettlementProviderUnknown,
    SettlementReportOtherProvider,
)
from topup.finance.models import (
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
    SettlementLine,
    SettlementLineType,
    SettlementReport,
)
from topup.finance.selectors import (
    finance_day_bounds,
    reconciliation_clearing_adjustment_cents,
    reconciliation_counts,
)
from topup.finance.settlement_csv import SettlementRow, settlement_report_parse
from topup.ledger.models import Transfer
from topup.ledger.services import (
    ledger_provider_clearing_account,
    ledger_system_account,
    ledger_transfer,
)
from topup.payments.gateway import UnknownProvider
from topup.payments.models import Payment
from topup.payments.services import payment_gateway_get
from topup.topups.models import TopupOrder, TopupRefund, TopupRefundStatus

LOOKUP_BATCH_SIZE: Final = 500  # payment ids per lookup (within SQLite's parameter limit)
FEES_REASON: Final = "payment_fees"
DIFFERENCE_REASON: Final = "settlement_difference"
MAX_REASON_CHARS: Final = 255

# (provider_payment_id, line type) -> cents
_Amounts = dict[tuple[str, str], int]


def _provider_check(provider: str) -> None:
    try:
        payment_gateway_get(provider=provider)
    except UnknownProvider as error:
        raise SettlementProviderUnknown(details={"provider": provider[:32]}) from error


def _previous_import(digest: str, provider: str) -> SettlementReport | None:
    report = SettlementReport.objects.filter(content_sha256=digest).first()
    if report is None:
        return None
    if report.provider != provider:
        raise SettlementReportOtherProvider(
            details={"report_id": report.pk, "provider": report.provider}
        )
    report.already_imported = True
    return report


def settlement_report_import(
    *, provider: str, filename: str, content: bytes, actor: Actor
) -> SettlementReport:
    """Store and reconcile a provider's settlement report (the whole file, or nothing).

    Importing the same content again returns the first import with `already_imported` set.
    Raises SettlementReportInvalid (row and reason) for a file that breaks the format.
    """
    _provider_check(provider)
    digest = hashlib.sha256(content).hexdigest()
    previous = _previous_import(digest, provider)
    if previous is not None:
        return previous
    rows = settlement_report_parse(content=content)
    try:
        with transaction.atomic():
            report = _report_store(
                provider=provider,
                filename=filename,
                content=content,
                digest=digest,
                rows=rows,
                actor=actor,
            )
            _reconcile(report, rows)
            _fees_post(report, actor)
            _audit_import(report, actor)
    except IntegrityError:
        # The same file imported at the same moment: the other import won.
        previous = _previous_import(digest, provider)
        if previous is None:
            raise
        return previous
    return report


def _report_store(
    *,
    provider: str,
    filename: str,
    content: bytes,
    digest: str,
    rows: list[SettlementRow],
    actor: Actor,
) -> SettlementReport:
    days = [row.settled_on for row in rows]
    return SettlementReport.objects.create(
        provider=provider,
        filename=filename[-255:],
        content_sha256=digest,
        size_bytes=len(content),
        line_count=len(rows),
        first_day=min(days),
        last_day=max(days),
        captured_cents=_total(rows, SettlementLineType.CAPTURE),
        refunded_cents=_total(rows, SettlementLineType.REFUND),
        fee_cents=sum(row.fee_cents for row in rows),
        imported_at=clock.now(),
        imported_by=actor.label()[:100],
    )


def _total(rows: Iterable[SettlementRow], line_type: str) -> int:
    return sum(row.amount_cents for row in rows if row.line_type == line_type)


_LINE_COLUMNS: Final = (
    "report",
    "row_number",
    "provider_payment_id",
    "line_type",
    "amount_cents",
    "fee_cents",
    "currency",
    "settled_on",
)
_ITEM_COLUMNS: Final = (
    "report",
    "line",
    "payment",
    "provider_payment_id",
    "line_type",
    "kind",
    "status",
    "expected_cents",
    "reported_cents",
    "difference_cents",
    "resolution_reason",
    "resolved_by",
    "resolved_at",
)


def _lines_store(report: SettlementReport, rows: list[SettlementRow]) -> dict[int, int]:
    """Store the lines; their ids by row number."""
    rows_insert(
        model=SettlementLine,
        columns=_LINE_COLUMNS,
        rows=(
            (
                report.pk,
                row.row_number,
                row.provider_payment_id,
                row.line_type,
                row.amount_cents,
                row.fee_cents,
                row.currency,
                row.settled_on,
            )
            for row in rows
        ),
    )
    return dict(SettlementLine.objects.filter(report=report).values_list("row_number", "pk"))


def _ledger_amounts(provider: str, payment_ids: Iterable[str]) -> _Amounts:
    """What the ledger posted per (payment, type): the order's credit, its confirmed refunds."""
    ids = list(payment_ids)
    amounts: _Amounts = {}
    credits = TopupOrder.objects.filter(
        payment_provider=provider, provider_payment_id__in=ids, credit_transfer__isnull=False
    ).values_list("provider_payment_id", "credit_transfer__amount_cents")
    for payment_id, cents in credits:
        amounts[(payment_id, SettlementLineType.CAPTURE.value)] = cents
    refunds = (
        TopupRefund.objects.filter(
            order__payment_provider=provider,
            order__provider_payment_id__in=ids,
            status=TopupRefundStatus.REFUNDED,
        )
        .values("order__provider_payment_id")
        .annotate(total=Sum("transfer__amount_cents"))
        .order_by()
    )
    for row in refunds:
        amounts[(row["order__provider_payment_id"], SettlementLineType.REFUND.value)] = int(
            row["total"] or 0
        )
    return amounts


def _settled_before(
    report: SettlementReport, payment_ids: Iterable[str], *, earlier_reports: bool
) -> _Amounts:
    """What other reports of this provider already settled per (payment, type)."""
    if not earlier_reports:
        return {}
    rows = (
        SettlementLine.objects.filter(
            report__provider=report.provider, provider_payment_id__in=list(payment_ids)
        )
        .exclude(report=report)
        .values("provider_payment_id", "line_type")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    return {(row["provider_payment_id"], row["line_type"]): int(row["total"]) for row in rows}


def _payment_ids(provider: str, payment_ids: Iterable[str]) -> dict[str, int]:
    return dict(
        Payment.objects.filter(
            provider=provider, provider_payment_id__in=list(payment_ids)
        ).values_list("provider_payment_id", "pk")
    )


def _kind(*, expected_cents: int, reported_cents: int) -> ReconciliationKind:
    if expected_cents == 0:
        return ReconciliationKind.MISSING_IN_LEDGER
    if expected_cents == reported_cents:
        return ReconciliationKind.MATCHED
    return ReconciliationKind.AMOUNT_MISMATCH


def _item(
    report: SettlementReport,
    *,
    line_id: int | None,
    payment_id: int | None,
    provider_payment_id: str,
    line_type: str,
    kind: ReconciliationKind,
    expected_cents: int,
    reported_cents: int,
) -> Row:
    """One item's row (_ITEM_COLUMNS). A matched item needs nothing more: it is stored resolved."""
    matched = kind == ReconciliationKind.MATCHED
    return (
        report.pk,
        line_id,
        payment_id,
        provider_payment_id,
        line_type,
        kind.value,
        ReconciliationStatus.RESOLVED.value if matched else ReconciliationStatus.OPEN.value,
        expected_cents,
        reported_cents,
        reported_cents - expected_cents,
        "",
        "",
        report.imported_at if matched else None,
    )


def _line_items(
    report: SettlementReport,
    rows: list[SettlementRow],
    line_ids: dict[int, int],
    *,
    earlier_reports: bool,
) -> Iterator[Row]:
    for batch in batches(rows, LOOKUP_BATCH_SIZE):
        ids = {row.provider_payment_id for row in batch}
        ledger = _ledger_amounts(report.provider, ids)
        settled = _settled_before(report, ids, earlier_reports=earlier_reports)
        payments = _payment_ids(report.provider, ids)
        for row in batch:
            key = (row.provider_payment_id, row.line_type)
            expected = max(0, ledger.get(key, 0) - settled.get(key, 0))
            yield _item(
                report,
                line_id=line_ids[row.row_number],
                payment_id=payments.get(row.provider_payment_id),
                provider_payment_id=row.provider_payment_id,
                line_type=row.line_type,
                kind=_kind(expected_cents=expected, reported_cents=row.amount_cents),
                expected_cents=expected,
                reported_cents=row.amount_cents,
            )


def _posted_on_days(report: SettlementReport, days: set[dt.date]) -> set[tuple[str, str]]:
    """(payment, type) of what the ledger credited or refunded for this provider on these days."""
    credited = Q()
    refunded = Q()
    for day in sorted(days):
        start, end = finance_day_bounds(day=day)
        credited |= Q(credited_at__gte=start, credited_at__lt=end)
        refunded |= Q(transfer__created_at__gte=start, transfer__created_at__lt=end)
    orders = TopupOrder.objects.filter(
        credited, payment_provider=report.provider, credit_transfer__isnull=False
    ).exclude(provider_payment_id="")
    refunds = TopupRefund.objects.filter(
        refunded, order__payment_provider=report.provider, status=TopupRefundStatus.REFUNDED
    )
    capture, refund = SettlementLineType.CAPTURE.value, SettlementLineType.REFUND.value
    posted = {
        (payment_id, capture) for payment_id in orders.values_list("provider_payment_id", flat=True)
    }
    posted.update(
        (payment_id, refund)
        for payment_id in refunds.values_list("order__provider_payment_id", flat=True)
    )
    return posted


def _unreported_items(
    report: SettlementReport, rows: list[SettlementRow], *, earlier_reports: bool
) -> Iterator[Row]:
    """Items for what the ledger posted on the report's days that no report settled."""
    in_report = {(row.provider_payment_id, row.line_type) for row in rows}
    candidates = sorted(_posted_on_days(report, {row.settled_on for row in rows}) - in_report)
    for batch in batches(candidates, LOOKUP_BATCH_SIZE):
        ids = {payment_id for payment_id, _type in batch}
        ledger = _ledger_amounts(report.provider, ids)
        settled = _settled_before(report, ids, earlier_reports=earlier_reports)
        payments = _payment_ids(report.provider, ids)
        for key in batch:
            outstanding = ledger.get(key, 0) - settled.get(key, 0)
            if outstanding <= 0:
                continue
            yield _item(
                report,
                line_id=None,
                payment_id=payments.get(key[0]),
                provider_payment_id=key[0],
                line_type=key[1],
                kind=ReconciliationKind.MISSING_IN_REPORT,
                expected_cents=outstanding,
                reported_cents=0,
            )


def _reconcile(report: SettlementReport, rows: list[SettlementRow]) -> None:
    # Asked once: the first report of a provider then skips one lookup per batch of lines.
    earlier = SettlementReport.objects.filter(provider=report.provider).exclude(pk=report.pk)
    earlier_reports = earlier.exists()
    line_ids = _lines_store(report, rows)
    rows_insert(
        model=ReconciliationItem,
        columns=_ITEM_COLUMNS,
        rows=chain(
            _line_items(report, rows, line_ids, earlier_reports=earlier_reports),
            _unreported_items(report, rows, earlier_reports=earlier_reports),
        ),
    )


def _fees_post(report: SettlementReport, actor: Actor) -> None:
    """The provider kept its fees from what it owes: one transfer per report."""
    if report.fee_cents == 0:
        return
    report.fee_transfer = ledger_transfer(
        idempotency_key=f"settlement:{report.pk}:fees",
        debit=ledger_system_account(name="payment_fees"),
        credit=ledger_provider_clearing_account(provider=report.provider),
        amount_cents=report.fee_cents,
        reason_code=FEES_REASON,
        actor=actor,
        memo=f"fees of settlement report {report.pk} ({report.first_day}..{report.last_day})",
    )
    report.save(update_fields=["fee_transfer"])


def _audit_import(report: SettlementReport, actor: Actor) -> None:
    counts = reconciliation_counts(report=report).by_kind
    audit_record(
        actor=actor,
        action="finance.settlement_imported",
        object_type="finance.settlement_report",
        object_id=report.pk,
        data={
            "provider": report.provider,
            "filename": report.filename,
            "sha256": report.content_sha256,
            "lines": report.line_count,
            "fee_cents": report.fee_cents,
            **{f"items_{kind}": n for kind, n in counts.items()},
        },
    )


def _reason_checked(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not cleaned or len(cleaned) > MAX_REASON_CHARS:
        raise ReconciliationReasonRequired(details={"max_length": MAX_REASON_CHARS})
    return cleaned


def _difference_post(
    item: ReconciliationItem, *, adjustment_cents: int, reason: str, actor: Actor
) -> Transfer:
    clearing = ledger_provider_clearing_account(provider=item.report.provider)
    differences = ledger_system_account(name="settlement_differences")
    debit, credit = (clearing, differences) if adjustment_cents > 0 else (differences, clearing)
    return ledger_transfer(
        idempotency_key=f"settlement:item:{item.pk}:difference",
        debit=debit,
        credit=credit,
        amount_cents=abs(adjustment_cents),
        reason_code=DIFFERENCE_REASON,
        actor=actor,
        memo=reason,
    )


def reconciliation_item_resolve(
    *, item: ReconciliationItem, reason: str, actor: Actor, with_transfer: bool = True
) -> ReconciliationItem:
    """Close an open difference, saying why.

    With a transfer (the default), the difference moves between the provider's clearing
    account and "settlement_differences", so the clearing account agrees with the provider.
    Without one (`with_transfer=False`, or a zero difference), nothing moves: for a difference
    that resolves itself, such as a payment the next report settles. Resolving twice: Conflict.
    """
    cleaned = _reason_checked(reason)
    with transaction.atomic():
        locked = (
            ReconciliationItem.objects.select_for_update(of=("self",))
            .select_related("report")
            .get(pk=item.pk)
        )
        if locked.status != ReconciliationStatus.OPEN:
            raise ReconciliationItemResolved(details={"item_id": locked.pk})
        adjustment = reconciliation_clearing_adjustment_cents(item=locked)
        if with_transfer and adjustment != 0:
            locked.resolution_transfer = _difference_post(
                locked, adjustment_cents=adjustment, reason=cleaned, actor=actor
            )
        locked.status = ReconciliationStatus.RESOLVED
        locked.resolution_reason = cleaned
        locked.resolved_by = actor.label()[:100]
        locked.resolved_at = clock.now()
        locked.save(
            update_fields=[
                "status",
                "resolution_transfer",
                "resolution_reason",
                "resolved_by",
                "resolved_at",
            ]
        )
        audit_record(
            actor=actor,
            action="finance.difference_resolved",
            object_type="finance.reconciliation_item",
            object_id=locked.pk,
            reason=cleaned,
            data={
                "report_id": locked.report_id,
                "kind": locked.kind,
                "provider_payment_id": locked.provider_payment_id,
                "difference_cents": locked.difference_cents,
                "clearing_adjustment_cents": adjustment,
                "transfer_id": locked.resolution_transfer_id,
            },
        )
    return locked
