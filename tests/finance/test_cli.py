"""`topup finance import-settlement` and `topup finance trial-balance`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.finance.conftest import Credited, report_csv
from topup.finance.models import SettlementReport
from topup.finance.selectors import finance_today

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("finance", *args, stdout=out)
    return out.getvalue()


def test_importing_a_file_twice_reports_it_once(credited: Credited, tmp_path: Path) -> None:
    order = credited(1000)
    path = tmp_path / "simulator-today.csv"
    path.write_bytes(
        report_csv(
            [(order.provider_payment_id, "capture", 1000, 39), ("sim_pay_x", "capture", 5, 0)]
        )
    )

    first = _run("import-settlement", str(path), "--provider", "simulator")
    again = _run("import-settlement", str(path), "--provider", "simulator")

    report = SettlementReport.objects.get()
    assert first.startswith(f"report {report.pk}: 2 lines; matched 1, missing_in_ledger 1")
    assert "open 1; fees € 0.39" in first
    assert again.strip() == f"already imported as report {report.pk}: nothing changed"
    assert report.filename == "simulator-today.csv"
    assert report.imported_by == "system:cli:finance"


def test_a_bad_file_or_a_missing_one_fails_with_the_reason(demo: None, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(report_csv([("p1", "capture", 100, 1)]).replace(b"EUR", b"USD"))

    with pytest.raises(
        CommandError, match=r"settlement_report_invalid: Row 2: currency must be EUR"
    ):
        _run("import-settlement", str(path), "--provider", "simulator")
    with pytest.raises(CommandError, match="cannot read"):
        _run("import-settlement", str(tmp_path / "absent.csv"), "--provider", "simulator")
    with pytest.raises(CommandError, match="settlement_provider_unknown"):
        _run("import-settlement", str(path), "--provider", "nobody")
    assert not SettlementReport.objects.exists()


def test_the_trial_balance_as_a_table_and_as_csv(credited: Credited) -> None:
    credited(1000)
    day = finance_today().isoformat()

    table = _run("trial-balance", "--date", day)
    as_csv = _run("trial-balance", "--date", day, "--csv")

    assert f"trial balance at the end of {day}" in table
    assert "clearing:simulator" in table
    assert table.rstrip().endswith("debits equal credits")
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert rows[0][0] == "Account type"
    assert rows[-1][4] == rows[-1][5]
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("trial-balance", "--date", "31/12/2024")
