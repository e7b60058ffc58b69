"""CSV files of the trial balance and of a report's reconciliation items (topup.core.csv_export)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from topup.core.csv_export import csv_amount, csv_document
from topup.finance.labels import account_kind_label, account_type_label
from topup.finance.models import (
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
    SettlementLineType,
    SettlementReport,
)
from topup.finance.selectors import TrialBalance, reconciliation_items_for_report

TRIAL_BALANCE_HEADER = (
    _("Account type"),
    _("Account kind"),
    _("Ledger account"),
    _("Accounts"),
    _("Debits"),
    _("Credits"),
    pgettext_lazy("accounting", "Balance"),
)

ITEMS_HEADER = (
    _("Row"),
    _("Provider payment id"),
    _("Type"),
    _("Kind"),
    _("Status"),
    _("Expected"),
    _("Reported"),
    _("Difference"),
    _("Reason"),
    _("Resolved by"),
    _("Resolved at"),
)


def _trial_balance_rows(balance: TrialBalance, *, decimal_comma: bool) -> Iterator[list[str]]:
    def amounts(debits: int, credits: int, balance_cents: int | None) -> list[str]:
        cells = [
            csv_amount(debits, decimal_comma=decimal_comma),
            csv_amount(credits, decimal_comma=decimal_comma),
        ]
        if balance_cents is not None:
            cells.append(csv_amount(balance_cents, decimal_comma=decimal_comma))
        return cells

    for section in balance.sections:
        type_label = account_type_label(section.account_type)
        for row in section.rows:
            yield [
                type_label,
                account_kind_label(row.kind),
                row.account_code,
                str(row.accounts),
                *amounts(row.debits_cents, row.credits_cents, row.balance_cents),
            ]
        yield [
            type_label,
            "",
            gettext("Total"),
            "",
            *amounts(section.debits_cents, section.credits_cents, section.balance_cents),
        ]
    yield [
        gettext("All accounts"),
        "",
        gettext("Total"),
        "",
        *amounts(balance.debits_cents, balance.credits_cents, None),
    ]


def trial_balance_csv(*, balance: TrialBalance, decimal_comma: bool) -> bytes:
    """One row per account group, a total per account type, and the debits and credits of all."""
    return csv_document(
        header=TRIAL_BALANCE_HEADER,
        rows=_trial_balance_rows(balance, decimal_comma=decimal_comma),
        decimal_comma=decimal_comma,
    )


def _item_row(item: ReconciliationItem, *, decimal_comma: bool) -> list[str]:
    resolved_at = timezone.localtime(item.resolved_at).isoformat() if item.resolved_at else ""
    return [
        str(item.line.row_number) if item.line is not None else "",
        item.provider_payment_id,
        str(SettlementLineType(item.line_type).label),
        str(ReconciliationKind(item.kind).label),
        str(ReconciliationStatus(item.status).label),
        csv_amount(item.expected_cents, decimal_comma=decimal_comma),
        csv_amount(item.reported_cents, decimal_comma=decimal_comma),
        csv_amount(item.difference_cents, decimal_comma=decimal_comma),
        item.resolution_reason,
        item.resolved_by,
        resolved_at,
    ]


def reconciliation_items_csv(*, report: SettlementReport, decimal_comma: bool) -> bytes:
    """Every item of the report (open ones first), with what resolved each."""
    items = reconciliation_items_for_report(report=report).iterator(chunk_size=2000)
    return csv_document(
        header=ITEMS_HEADER,
        rows=(_item_row(item, decimal_comma=decimal_comma) for item in items),
        decimal_comma=decimal_comma,
    )
