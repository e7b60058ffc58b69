"""Importing a settlement report: every line next to the ledger, differences resolved with a reason,
the provider's fees posted once, and the ledger sound after each step."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.finance.conftest import FINANCE, Credited, Refund, report_csv
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.finance.errors import SettlementReportInvalid
from topup.finance.models import (
    ReconciliationItem,
    ReconciliationStatus,
    SettlementLine,
    SettlementReport,
)
from topup.finance.selectors import finance_today, reconciliation_counts
from topup.finance.services import reconciliation_item_resolve, settlement_report_import
from topup.ledger.models import Transfer
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.services import ledger_provider_clearing_account, ledger_system_account
from topup.ledger.verify import ledger_verify
from topup.payments import services as payments_services
from topup.payments.simulator.gateway import SimulatorGateway
from topup.payments.simulator.settlement import simulator_fee_cents, simulator_settlement_csv
from topup.topups.models import TopupOrder
from topup.topups.verify import topup_verify

pytestmark = pytest.mark.django_db


def _import(content: bytes, *, provider: str = "simulator") -> SettlementReport:
    return settlement_report_import(
        provider=provider, filename="settlement.csv", content=content, actor=FINANCE
    )


def _item(report: SettlementReport, provider_payment_id: str, kind: str) -> ReconciliationItem:
    return ReconciliationItem.objects.get(
        report=report, provider_payment_id=provider_payment_id, kind=kind
    )


def _clearing_cents() -> int:
    return ledger_account_balance_cents(
        account=ledger_provider_clearing_account(provider="simulator")
    )


def _sound() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []


def test_each_kind_of_difference_is_found(credited: Credited) -> None:
    matched = credited(1000)
    mismatched = credited(2000)
    unreported = credited(1500)
    content = report_csv(
        [
            (matched.provider_payment_id, "capture", 1000, 39),
            (mismatched.provider_payment_id, "capture", 1900, 52),
            ("sim_pay_unknown", "capture", 700, 35),
        ]
    )

    report = _import(content)

    assert not report.already_imported
    counts = reconciliation_counts(report=report)
    assert counts.by_kind == {
        "matched": 1,
        "missing_in_ledger": 1,
        "missing_in_report": 1,
        "amount_mismatch": 1,
    }
    assert counts.by_status == {"open": 3, "resolved": 1}
    assert _item(report, matched.provider_payment_id, "matched").status == "resolved"
    mismatch = _item(report, mismatched.provider_payment_id, "amount_mismatch")
    assert (mismatch.expected_cents, mismatch.reported_cents, mismatch.difference_cents) == (
        2000,
        1900,
        -100,
    )
    missing = _item(report, "sim_pay_unknown", "missing_in_ledger")
    assert (missing.expected_cents, missing.reported_cents, missing.payment_id) == (0, 700, None)
    absent = _item(report, unreported.provider_payment_id, "missing_in_report")
    assert (absent.expected_cents, absent.reported_cents, absent.line_id) == (1500, 0, None)
    assert absent.payment is not None
    assert counts.open_difference_cents == -100 + 700 - 1500
    _sound()


def test_the_fees_leave_the_clearing_account_in_one_transfer(credited: Credited) -> None:
    order = credited(1000)
    before = _clearing_cents()

    report = _import(report_csv([(order.provider_payment_id, "capture", 1000, 39)]))

    assert report.fee_transfer is not None
    fees = Transfer.objects.get(idempotency_key=f"settlement:{report.pk}:fees")
    assert fees == report.fee_transfer
    assert (fees.amount_cents, fees.reason_code) == (39, "payment_fees")
    assert _clearing_cents() == before - 39
    assert ledger_account_balance_cents(account=ledger_system_account(name="payment_fees")) == 39
    _sound()


def test_importing_the_same_file_again_changes_nothing(credited: Credited) -> None:
    order = credited(1000)
    content = report_csv([(order.provider_payment_id, "capture", 1000, 39)])
    first = _import(content)
    transfers = Transfer.objects.count()

    again = _import(content)

    assert again.pk == first.pk
    assert again.already_imported
    assert SettlementReport.objects.count() == 1
    assert SettlementLine.objects.count() == 1
    assert ReconciliationItem.objects.count() == 1
    assert Transfer.objects.count() == transfers
    assert AuditEvent.objects.filter(action="finance.settlement_imported").count() == 1
    _sound()


def test_a_file_imported_for_one_provider_is_refused_for_another(
    credited: Credited, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(payments_services._GATEWAY_FACTORIES, "other", SimulatorGateway)
    order = credited(1000)
    content = report_csv([(order.provider_payment_id, "capture", 1000, 39)])
    _import(content)

    with pytest.raises(ApplicationError) as excinfo:
        _import(content, provider="other")

    assert excinfo.value.code == "settlement_report_other_provider"
    assert SettlementReport.objects.count() == 1


def test_a_bad_file_is_refused_with_nothing_stored(credited: Credited) -> None:
    order = credited(1000)
    transfers = Transfer.objects.count()
    content = report_csv(
        [
            (order.provider_payment_id, "capture", 1000, 39),
            ("sim_pay_other", "capture", 500, 600),
        ]
    )

    with pytest.raises(SettlementReportInvalid) as excinfo:
        _import(content)

    assert excinfo.value.details == {"row": 3, "reason": "fee_cents is larger than amount_cents"}
    assert SettlementReport.objects.count() == 0
    assert SettlementLine.objects.count() == 0
    assert ReconciliationItem.objects.count() == 0
    assert Transfer.objects.count() == transfers
    assert not AuditEvent.objects.filter(action__startswith="finance.").exists()


def test_an_unknown_provider_is_refused(demo: None) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        _import(report_csv([("p1", "capture", 100, 1)]), provider="nobody")
    assert excinfo.value.code == "settlement_provider_unknown"
    assert SettlementReport.objects.count() == 0


@pytest.mark.parametrize(
    ("reported_cents", "debit", "credit"),
    [
        (1900, "system:settlement_differences", "clearing:simulator"),
        (2100, "clearing:simulator", "system:settlement_differences"),
    ],
)
def test_resolving_posts_the_difference_once(
    credited: Credited, reported_cents: int, debit: str, credit: str
) -> None:
    order = credited(2000)
    report = _import(report_csv([(order.provider_payment_id, "capture", reported_cents, 0)]))
    item = _item(report, order.provider_payment_id, "amount_mismatch")
    before = _clearing_cents()

    resolved = reconciliation_item_resolve(
        item=item, reason="  provider confirmed\n the amount ", actor=FINANCE
    )

    assert resolved.status == ReconciliationStatus.RESOLVED
    assert resolved.resolution_reason == "provider confirmed the amount"
    assert resolved.resolved_by == "staff:41"
    transfer = resolved.resolution_transfer
    assert transfer is not None
    assert (transfer.amount_cents, transfer.reason_code, transfer.memo) == (
        100,
        "settlement_difference",
        "provider confirmed the amount",
    )
    assert transfer.idempotency_key == f"settlement:item:{item.pk}:difference"
    assert (transfer.debit_account.code, transfer.credit_account.code) == (debit, credit)
    # The clearing account now agrees with what the provider reported.
    assert _clearing_cents() == before + (reported_cents - 2000)
    audit = AuditEvent.objects.get(action="finance.difference_resolved")
    assert (audit.actor_id, audit.object_id, audit.reason) == (
        "41",
        str(item.pk),
        "provider confirmed the amount",
    )

    with pytest.raises(ApplicationError) as excinfo:
        reconciliation_item_resolve(item=item, reason="again", actor=FINANCE)
    assert excinfo.value.code == "reconciliation_item_resolved"
    assert excinfo.value.http_status == 409
    assert Transfer.objects.filter(reason_code="settlement_difference").count() == 1
    assert AuditEvent.objects.filter(action="finance.difference_resolved").count() == 1
    _sound()


def test_a_timing_difference_is_resolved_without_money_and_matches_the_next_day(
    credited: Credited,
) -> None:
    order = credited(1500)
    today_report = _import(report_csv([("sim_pay_unrelated", "capture", 100, 0)]))
    item = _item(today_report, order.provider_payment_id, "missing_in_report")
    transfers = Transfer.objects.count()

    resolved = reconciliation_item_resolve(
        item=item,
        reason="timing: appears in tomorrow's report",
        actor=FINANCE,
        with_transfer=False,
    )
    tomorrow = (resolved.report.last_day + dt.timedelta(days=1)).isoformat()
    next_report = _import(
        report_csv([(order.provider_payment_id, "capture", 1500, 46)], day=tomorrow)
    )

    assert resolved.resolution_transfer is None
    assert resolved.status == ReconciliationStatus.RESOLVED
    assert Transfer.objects.count() == transfers + 1  # only the next report's fees
    assert _item(next_report, order.provider_payment_id, "matched")
    _sound()


def test_a_capture_settled_by_an_earlier_report_is_not_expected_again(credited: Credited) -> None:
    order = credited(1000)
    line = (order.provider_payment_id, "capture", 1000, 39)
    _import(report_csv([line]))

    later = _import(report_csv([line], day="2099-01-01"))

    duplicate = _item(later, order.provider_payment_id, "missing_in_ledger")
    assert (duplicate.expected_cents, duplicate.reported_cents) == (0, 1000)


def test_a_reason_is_required(credited: Credited) -> None:
    order = credited(2000)
    report = _import(report_csv([(order.provider_payment_id, "capture", 1999, 0)]))
    item = _item(report, order.provider_payment_id, "amount_mismatch")
    for reason in ("", "   ", "x" * 256):
        with pytest.raises(ApplicationError) as excinfo:
            reconciliation_item_resolve(item=item, reason=reason, actor=FINANCE)
        assert excinfo.value.code == "reconciliation_reason_required"
    item.refresh_from_db()
    assert item.status == ReconciliationStatus.OPEN


def test_the_simulators_own_report_matches_top_ups_and_refunds(
    credited: Credited, refund: Refund
) -> None:
    kept = credited(1000)
    partly_refunded = credited(2000)
    refund(partly_refunded, 500, "finance-test:1")
    fully_refunded = credited(1500)
    refund(fully_refunded, 1500, "finance-test:2")
    content = simulator_settlement_csv(day=finance_today())
    report = _import(content)

    counts = reconciliation_counts(report=report)
    assert counts.by_kind["matched"] == 5  # three captures, two refunds
    assert counts.total == 5
    assert counts.by_status["open"] == 0
    expected_fees = sum(
        simulator_fee_cents(amount_cents=order.amount_cents)
        for order in (kept, partly_refunded, fully_refunded)
    )
    assert report.fee_cents == expected_fees
    assert (report.captured_cents, report.refunded_cents) == (4500, 2000)
    # What the provider owes the operator now: captures, less refunds and fees.
    assert _clearing_cents() == 4500 - 2000 - expected_fees
    _sound()


def test_a_refund_the_report_lacks_is_missing_in_the_report(
    credited: Credited, refund: Refund
) -> None:
    order = credited(2000)
    refund(order, 800, "finance-test:3")

    report = _import(report_csv([(order.provider_payment_id, "capture", 2000, 53)]))

    missing = _item(report, order.provider_payment_id, "missing_in_report")
    assert (missing.line_type, missing.expected_cents) == ("refund", 800)
    resolved = reconciliation_item_resolve(item=missing, reason="refund lost", actor=FINANCE)
    transfer = resolved.resolution_transfer
    assert transfer is not None
    # The provider did not give the 8.00 back: it still holds it for the operator.
    assert (transfer.debit_account.code, transfer.amount_cents) == ("clearing:simulator", 800)
    _sound()


def test_a_system_actor_can_import(credited: Credited) -> None:
    order = credited(1000)
    report = settlement_report_import(
        provider="simulator",
        filename="x" * 300 + ".csv",
        content=report_csv([(order.provider_payment_id, "capture", 1000, 0)]),
        actor=Actor.system("cli:finance"),
    )
    assert report.fee_transfer is None
    assert report.imported_by == "system:cli:finance"
    assert len(report.filename) == 255
    assert TopupOrder.objects.count() == 1
