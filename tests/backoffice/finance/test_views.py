"""The finance screens: import a report, see what reconciling found, resolve a difference, read
the trial balance; finance staff only."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.backoffice.conftest import StaffClientFactory
from tests.finance.conftest import Credited, report_csv
from topup.audit.models import AuditEvent
from topup.finance.models import ReconciliationItem, SettlementReport
from topup.finance.selectors import finance_today
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

OTHER_ROLES = ("customer_service", "operations")


def _upload(client: Client, content: bytes, *, name: str = "report.csv") -> TestResponse:
    return client.post(
        reverse("backoffice:finance-report-upload"),
        {"provider": "simulator", "report": SimpleUploadedFile(name, content, "text/csv")},
    )


@pytest.fixture
def finance(staff_client: StaffClientFactory, demo: None) -> Client:
    return staff_client("finance")


def test_the_home_page_offers_the_upload_the_reports_and_the_trial_balance(
    finance: Client,
) -> None:
    page = finance.get(reverse("backoffice:finance-home"))

    assert page.status_code == 200
    body = page.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert reverse("backoffice:finance-trial-balance") in body
    assert reverse("backoffice:finance-simulator-report") in body
    assert "No settlement report has been imported yet." in body
    assert "style=" not in body and "<script>" not in body


def test_uploading_a_report_shows_what_reconciling_found(
    finance: Client, credited: Credited
) -> None:
    order = credited(2000)
    content = report_csv(
        [(order.provider_payment_id, "capture", 1990, 53), ("sim_pay_stranger", "capture", 10, 0)]
    )

    response = _upload(finance, content)

    report = SettlementReport.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("backoffice:finance-report", args=[report.pk])
    page = finance.get(response["Location"])
    body = page.content.decode()
    assert "Imported and reconciled." in body
    assert 'data-item-kind="amount_mismatch" data-item-status="open"' in body
    assert 'data-item-kind="missing_in_ledger" data-item-status="open"' in body
    assert "sim_pay_stranger" in body
    assert reverse("backoffice:finance-report-csv", args=[report.pk]) in body
    assert body.count('class="finance-resolve"') == 2

    again = _upload(finance, content, name="again.csv")
    assert again.status_code == 303
    assert "already imported" in finance.get(again["Location"]).content.decode()
    assert SettlementReport.objects.count() == 1
    listing = finance.get(reverse("backoffice:finance-home")).content.decode()
    assert f'data-report-id="{report.pk}"' in listing


def test_a_bad_file_is_refused_with_its_row_and_nothing_is_stored(finance: Client) -> None:
    content = report_csv([("p1", "capture", 100, 1), ("p2", "chargeback", 100, 1)])

    response = _upload(finance, content)

    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-error-code="settlement_report_invalid"' in body
    assert "Row 3: type must be capture or refund" in body
    assert not SettlementReport.objects.exists()


def test_an_unknown_provider_is_refused_at_its_field(finance: Client) -> None:
    response = finance.post(
        reverse("backoffice:finance-report-upload"),
        {
            "provider": "nobody",
            "report": SimpleUploadedFile("r.csv", report_csv([("p1", "capture", 1, 0)])),
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-error-code="settlement_provider_unknown"' in body
    assert 'id="id_provider-error"' in body
    assert not SettlementReport.objects.exists()


def test_an_upload_above_the_limit_is_refused_before_it_is_read(
    finance: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("topup.channels.backoffice.finance.views.MAX_UPLOAD_BODY_BYTES", 1000)

    response = _upload(finance, b"x" * 2000)

    assert response.status_code == 413
    assert 'data-error-code="settlement_report_too_large"' in response.content.decode()
    assert not SettlementReport.objects.exists()


def test_resolving_an_item_posts_the_difference_once(finance: Client, credited: Credited) -> None:
    order = credited(2000)
    _upload(finance, report_csv([(order.provider_payment_id, "capture", 1990, 53)]))
    item = ReconciliationItem.objects.get(kind="amount_mismatch")
    url = reverse("backoffice:finance-item-resolve", args=[item.pk])

    missing_reason = finance.post(url, {"reason": " ", "action": "transfer"})
    resolved = finance.post(url, {"reason": "provider confirmed 19,90", "action": "transfer"})
    twice = finance.post(url, {"reason": "again", "action": "transfer"})

    assert missing_reason.status_code == 422
    assert resolved.status_code == 303
    assert resolved["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.status == "resolved"
    assert item.resolution_transfer is not None
    assert item.resolution_transfer.amount_cents == 10
    assert twice.status_code == 409
    assert 'data-error-code="reconciliation_item_resolved"' in twice.content.decode()
    assert Transfer.objects.filter(reason_code="settlement_difference").count() == 1
    event = AuditEvent.objects.get(action="finance.difference_resolved")
    assert event.actor_type == "staff"
    assert ledger_verify() == []


def test_resolving_without_a_transfer_moves_no_money(finance: Client, credited: Credited) -> None:
    credited(1500)
    _upload(finance, report_csv([("sim_pay_stranger", "capture", 10, 0)]))
    item = ReconciliationItem.objects.get(kind="missing_in_report")
    transfers = Transfer.objects.count()

    response = finance.post(
        reverse("backoffice:finance-item-resolve", args=[item.pk]),
        {"reason": "timing: appears in tomorrow's report", "action": "none"},
    )

    assert response.status_code == 303
    item.refresh_from_db()
    assert (item.status, item.resolution_transfer) == ("resolved", None)
    assert Transfer.objects.count() == transfers


def test_the_items_csv_guards_against_formulas_and_speaks_dutch(
    finance: Client, credited: Credited
) -> None:
    credited(1500)
    _upload(finance, report_csv([("-1-1", "capture", 1234, 0)]))
    report = SettlementReport.objects.get()
    finance.cookies["django_language"] = "nl"

    response = finance.get(reverse("backoffice:finance-report-csv", args=[report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    stranger = next(row for row in rows if row[1].endswith("-1-1"))
    assert stranger[1] == "'-1-1"
    assert stranger[6] == "12,34"
    assert stranger[7] == "12,34"
    missing = next(row for row in rows if row[0] == "")
    assert missing[7] == "-15,00"


def test_the_trial_balance_page_and_its_csv(finance: Client, credited: Credited) -> None:
    credited(1000)
    day = finance_today().isoformat()

    page = finance.get(reverse("backoffice:finance-trial-balance"), {"date": day})
    export = finance.get(reverse("backoffice:finance-trial-balance-csv"), {"date": day})
    default = finance.get(reverse("backoffice:finance-trial-balance"))

    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-balanced="true"' in body
    assert "clearing:simulator" in body
    assert default.status_code == 200
    assert f'value="{day}"' in default.content.decode()
    assert export.status_code == 200
    assert export["Content-Disposition"] == f'attachment; filename="trial-balance-{day}.csv"'
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[-1][4] == rows[-1][5]


@pytest.mark.parametrize("date", ["2999-01-01", "31/12/2024", "soon"])
def test_a_bad_or_future_day_is_refused(finance: Client, date: str) -> None:
    page = finance.get(reverse("backoffice:finance-trial-balance"), {"date": date})
    export = finance.get(reverse("backoffice:finance-trial-balance-csv"), {"date": date})
    simulator = finance.get(reverse("backoffice:finance-simulator-report"), {"date": date})
    assert (page.status_code, export.status_code, simulator.status_code) == (422, 422, 422)
    assert 'aria-invalid="true"' in page.content.decode()


def test_the_simulators_report_downloads_and_imports_clean(
    finance: Client, credited: Credited
) -> None:
    credited(1000)
    day = finance_today().isoformat()

    download = finance.get(reverse("backoffice:finance-simulator-report"), {"date": day})

    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="simulator-settlement-{day}.csv"'
    )
    response = _upload(finance, download.content)
    report = SettlementReport.objects.get()
    assert response.status_code == 303
    assert not report.items.filter(status="open").exists()
    assert ledger_verify() == []


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_are_refused_every_finance_screen(
    staff_client: StaffClientFactory, role: str, credited: Credited
) -> None:
    order = credited(1000)
    finance_client = staff_client("finance")
    _upload(finance_client, report_csv([(order.provider_payment_id, "capture", 999, 0)]))
    report = SettlementReport.objects.get()
    item = report.items.get()
    client = staff_client(role)

    pages = [
        client.get(reverse("backoffice:finance-home")),
        client.get(reverse("backoffice:finance-report", args=[report.pk])),
        client.get(reverse("backoffice:finance-report-csv", args=[report.pk])),
        client.get(reverse("backoffice:finance-trial-balance")),
        client.get(reverse("backoffice:finance-trial-balance-csv")),
        client.get(reverse("backoffice:finance-simulator-report")),
        _upload(client, report_csv([("p1", "capture", 1, 0)], day="2024-01-01")),
        client.post(
            reverse("backoffice:finance-item-resolve", args=[item.pk]),
            {"reason": "not mine", "action": "transfer"},
        ),
    ]

    assert [page.status_code for page in pages] == [403] * len(pages)
    item.refresh_from_db()
    assert item.status == "open"
    assert SettlementReport.objects.count() == 1


def test_an_unknown_report_or_item_is_not_found(finance: Client) -> None:
    assert finance.get(reverse("backoffice:finance-report", args=[999])).status_code == 404
    missing_item = finance.post(
        reverse("backoffice:finance-item-resolve", args=[999]),
        {"reason": "x", "action": "transfer"},
    )
    assert missing_item.status_code == 404
