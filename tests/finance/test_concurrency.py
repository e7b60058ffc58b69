"""Finance under concurrency on PostgreSQL: one import per file, one resolution per item."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.finance.conftest import FINANCE, Credited, report_csv
from tests.support import threads_together
from topup.core.errors import ApplicationError
from topup.finance.models import ReconciliationItem, SettlementLine, SettlementReport
from topup.finance.services import reconciliation_item_resolve, settlement_report_import
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _together(work: Callable[[int], object]) -> list[BaseException]:
    return threads_together(work, threads=THREADS)


def test_the_same_file_imported_at_once_is_stored_once(credited: Credited) -> None:
    order = credited(1000)
    content = report_csv([(order.provider_payment_id, "capture", 1000, 39)])
    report_ids: list[int] = []

    def upload(_index: int) -> None:
        report = settlement_report_import(
            provider="simulator", filename="same.csv", content=content, actor=FINANCE
        )
        report_ids.append(report.pk)

    errors = _together(upload)

    assert errors == []
    assert len(set(report_ids)) == 1
    assert SettlementReport.objects.count() == 1
    assert SettlementLine.objects.count() == 1
    assert Transfer.objects.filter(reason_code="payment_fees").count() == 1
    assert ledger_verify() == []


def test_one_item_resolved_at_once_by_many_moves_money_once(credited: Credited) -> None:
    order = credited(2000)
    settlement_report_import(
        provider="simulator",
        filename="mismatch.csv",
        content=report_csv([(order.provider_payment_id, "capture", 1900, 0)]),
        actor=FINANCE,
    )
    item = ReconciliationItem.objects.get(kind="amount_mismatch")

    def resolve(index: int) -> None:
        reconciliation_item_resolve(item=item, reason=f"try {index}", actor=FINANCE)

    errors = _together(resolve)

    codes = sorted(error.code for error in errors if isinstance(error, ApplicationError))
    assert codes == ["reconciliation_item_resolved"] * (THREADS - 1)
    assert len(errors) == THREADS - 1
    assert Transfer.objects.filter(reason_code="settlement_difference").count() == 1
    assert ledger_verify() == []
