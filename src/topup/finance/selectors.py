"""Finance reads: settlement reports and their items, and the trial balance of a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from topup.core import clock
from topup.core.errors import InvariantViolation
from topup.finance.errors import ReconciliationItemNotFound, SettlementReportNotFound
from topup.finance.models import (
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
    SettlementLineType,
    SettlementReport,
)
from topup.ledger import domain
from topup.ledger.models import Entry

# The operator's accounting day: the trial balance and the report days are Brussels days.
BRUSSELS: Final = ZoneInfo("Europe/Brussels")
MAX_REPORTS_LISTED: Final = 100
MAX_ITEMS_LISTED: Final = 1000
# Accounts of the operator and of the providers are few: the trial balance shows each one.
# Accounts held for someone (subscribers, shops) are many: it shows their total per kind.
_SHOWN_ONE_BY_ONE: Final = ("operator", "provider")
ACCOUNT_TYPE_ORDER: Final = tuple(domain.AccountType)


def finance_day_bounds(*, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Brussels calendar day, as aware datetimes (23 or 25 hours at DST)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=BRUSSELS)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=BRUSSELS)
    return start, end


def finance_today() -> dt.date:
    """Today in Brussels, by the platform's clock."""
    return clock.now().astimezone(BRUSSELS).date()


@dataclass(frozen=True)
class SettlementReportSummary:
    report: SettlementReport
    open_items: int


def settlement_reports_list(*, limit: int = MAX_REPORTS_LISTED) -> list[SettlementReportSummary]:
    """The newest imported reports first, each with how many differences are still open."""
    limit = max(1, min(limit, MAX_REPORTS_LISTED))
    reports = SettlementReport.objects.annotate(
        open_items=Count("items", filter=Q(items__status=ReconciliationStatus.OPEN))
    ).order_by("-imported_at", "-id")[:limit]
    return [SettlementReportSummary(report, report.open_items) for report in reports]


def settlement_report_get(*, report_id: int) -> SettlementReport:
    try:
        return SettlementReport.objects.get(pk=report_id)
    except SettlementReport.DoesNotExist as error:
        raise SettlementReportNotFound(details={"report_id": report_id}) from error


def reconciliation_item_get(*, item_id: int) -> ReconciliationItem:
    try:
        return ReconciliationItem.objects.select_related("report").get(pk=item_id)
    except ReconciliationItem.DoesNotExist as error:
        raise ReconciliationItemNotFound(details={"item_id": item_id}) from error


def reconciliation_items_for_report(
    *, report: SettlementReport, status: str | None = None
) -> QuerySet[ReconciliationItem]:
    """The report's items, open differences first, then in the order of the file."""
    items = ReconciliationItem.objects.filter(report=report).select_related("line")
    if status is not None:
        items = items.filter(status=status)
    open_first = Case(When(status=ReconciliationStatus.OPEN, then=Value(0)), default=Value(1))
    return items.order_by(open_first, F("line__row_number").asc(nulls_last=True), "id")


@dataclass(frozen=True)
class ReconciliationCounts:
    """How many items of each kind and status a report has, and the open difference."""

    by_kind: dict[str, int]
    by_status: dict[str, int]
    open_difference_cents: int

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def reconciliation_counts(*, report: SettlementReport) -> ReconciliationCounts:
    by_kind = dict.fromkeys(ReconciliationKind.values, 0)
    by_status = dict.fromkeys(ReconciliationStatus.values, 0)
    rows = (
        ReconciliationItem.objects.filter(report=report)
        .values("kind", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        by_kind[row["kind"]] += row["n"]
        by_status[row["status"]] += row["n"]
    open_difference = ReconciliationItem.objects.filter(
        report=report, status=ReconciliationStatus.OPEN
    ).aggregate(total=Sum(_CLEARING_ADJUSTMENT))["total"]
    return ReconciliationCounts(by_kind, by_status, int(open_difference or 0))


# reconciliation_clearing_adjustment_cents, in SQL (for sums over many items).
_CLEARING_ADJUSTMENT: Final = Case(
    When(line_type=SettlementLineType.REFUND, then=-F("difference_cents")),
    default=F("difference_cents"),
    output_field=BigIntegerField(),
)


def reconciliation_clearing_adjustment_cents(*, item: ReconciliationItem) -> int:
    """How much the provider's clearing account must move for the ledger to agree with the
    provider: positive = the provider holds more than the ledger says (debit the clearing).

    A capture adds to what the provider holds for the operator, a refund takes from it.
    """
    if item.line_type == SettlementLineType.REFUND:
        return -item.difference_cents
    return item.difference_cents


@dataclass(frozen=True)
class TrialBalanceRow:
    """One line of the trial balance: one operator or provider account, or all accounts of a
    kind held for someone (every subscriber's paid credit, every shop's drawer)."""

    account_type: str
    kind: str
    account_code: str  # empty for a kind's total
    accounts: int
    debits_cents: int
    credits_cents: int
    balance_cents: int  # in the account type's normal direction


@dataclass(frozen=True)
class TrialBalanceSection:
    account_type: str
    rows: list[TrialBalanceRow]
    debits_cents: int
    credits_cents: int
    balance_cents: int


@dataclass(frozen=True)
class TrialBalance:
    on: dt.date
    until: dt.datetime  # entries of transfers made before this instant
    sections: list[TrialBalanceSection]
    debits_cents: int
    credits_cents: int

    @property
    def balanced(self) -> bool:
        return self.debits_cents == self.credits_cents


def _trial_balance_rows(until: dt.datetime) -> list[TrialBalanceRow]:
    group = Case(
        When(account__owner_type__in=_SHOWN_ONE_BY_ONE, then=F("account__code")),
        default=Value(""),
        output_field=CharField(),
    )
    grouped = (
        Entry.objects.filter(transfer__created_at__lt=until)
        .annotate(group=group)
        .values("account__account_type", "account__kind", "group")
        .annotate(
            accounts=Count("account", distinct=True),
            debits=Sum("amount_cents", filter=Q(amount_cents__gt=0)),
            credits=Sum("amount_cents", filter=Q(amount_cents__lt=0)),
        )
        .order_by("account__account_type", "account__kind", "group")
    )
    rows: list[TrialBalanceRow] = []
    for row in grouped:
        account_type = domain.AccountType(row["account__account_type"])
        debits, credits = int(row["debits"] or 0), -int(row["credits"] or 0)
        balance = domain.balance_delta(account_type, debit_cents=debits, credit_cents=credits)
        rows.append(
            TrialBalanceRow(
                account_type.value,
                row["account__kind"],
                row["group"],
                row["accounts"],
                debits,
                credits,
                balance,
            )
        )
    return rows


def trial_balance(*, on: dt.date) -> TrialBalance:
    """Debits, credits and balances per account type and kind from every posted entry up to the
    end of this Brussels day. Debits equal credits, or the ledger is broken (fails loudly)."""
    _start, until = finance_day_bounds(day=on)
    rows = _trial_balance_rows(until)
    sections = []
    for account_type in ACCOUNT_TYPE_ORDER:
        of_type = [row for row in rows if row.account_type == account_type.value]
        sections.append(
            TrialBalanceSection(
                account_type=account_type.value,
                rows=of_type,
                debits_cents=sum(row.debits_cents for row in of_type),
                credits_cents=sum(row.credits_cents for row in of_type),
                balance_cents=sum(row.balance_cents for row in of_type),
            )
        )
    balance = TrialBalance(
        on=on,
        until=until,
        sections=sections,
        debits_cents=sum(section.debits_cents for section in sections),
        credits_cents=sum(section.credits_cents for section in sections),
    )
    if not balance.balanced:
        raise InvariantViolation(
            f"trial balance {on}: debits {balance.debits_cents} != credits {balance.credits_cents}"
        )
    return balance
