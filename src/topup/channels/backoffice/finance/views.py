"""Back office: settlement reports (import, reconcile, resolve differences) and the trial balance.

The pages read and bound what staff send and show each refusal with its code and next step;
topup.finance decides what is matched, what money moves and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from topup.channels.backoffice.auth import backoffice_actor, backoffice_view
from topup.channels.backoffice.context import backoffice_error, backoffice_render
from topup.channels.backoffice.finance.forms import (
    DayForm,
    ReconciliationResolveForm,
    SettlementUploadForm,
)
from topup.core.csv_export import csv_decimal_comma
from topup.core.errors import ApplicationError
from topup.core.money import format_amount_for_locale
from topup.finance.errors import (
    SettlementProviderUnknown,
    SettlementReportInvalid,
    SettlementReportTooLarge,
)
from topup.finance.exports import reconciliation_items_csv, trial_balance_csv
from topup.finance.labels import account_kind_label, account_type_label
from topup.finance.models import (
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
    SettlementLineType,
    SettlementReport,
)
from topup.finance.selectors import (
    MAX_ITEMS_LISTED,
    TrialBalance,
    finance_today,
    reconciliation_clearing_adjustment_cents,
    reconciliation_counts,
    reconciliation_item_get,
    reconciliation_items_for_report,
    settlement_report_get,
    settlement_reports_list,
    trial_balance,
)
from topup.finance.services import reconciliation_item_resolve, settlement_report_import
from topup.finance.settlement_csv import MAX_REPORT_BYTES
from topup.payments.simulator.settlement import simulator_settlement_csv
from topup.staff.roles import Permission, staff_may

# Room for the multipart envelope and the other fields around the file itself.
MAX_UPLOAD_BODY_BYTES: Final = MAX_REPORT_BYTES + 64 * 1024


def _see(url_name: str, *args: int, fragment: str = "") -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse(f"backoffice:{url_name}", args=args) + fragment)
    response.status_code = 303
    return response


def _csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _home_render(
    request: HttpRequest,
    upload_form: SettlementUploadForm,
    *,
    day_form: DayForm | None = None,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "reports": settlement_reports_list(),
        "upload_form": upload_form,
        "day_form": day_form or DayForm(initial={"date": finance_today().isoformat()}),
        "may_import": staff_may(request.user, Permission.FINANCE_IMPORT),
        "error": error,
        "max_megabytes": MAX_REPORT_BYTES // 2**20,
    }
    return backoffice_render(request, "backoffice/finance/home.html", context, status=status)


@backoffice_view(Permission.FINANCE_VIEW)
@require_GET
def finance_home(request: HttpRequest) -> HttpResponse:
    """The imported reports, the upload form, and the way to the trial balance."""
    return _home_render(request, SettlementUploadForm())


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@backoffice_view(Permission.FINANCE_IMPORT)
@require_POST
def finance_report_upload(request: HttpRequest) -> HttpResponse:
    # Refused on its declared size before the form reads it. (The CSRF check has parsed the
    # body by now: the proxy in front, not this view, keeps huge bodies off the disk.)
    if _declared_length(request) > MAX_UPLOAD_BODY_BYTES:
        error = SettlementReportTooLarge(details={"max_bytes": MAX_REPORT_BYTES})
        return _home_render(request, SettlementUploadForm(), error=error, status=error.http_status)
    form = SettlementUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _home_render(request, form, status=422)
    try:
        report = settlement_report_import(
            provider=form.cleaned_data["provider"],
            filename=form.filename(),
            content=form.cleaned_data["report"],
            actor=backoffice_actor(request),
        )
    except (SettlementReportInvalid, SettlementProviderUnknown) as error:
        field = "provider" if isinstance(error, SettlementProviderUnknown) else "report"
        form.add_error(field, str(error.message))
        return _home_render(request, form, error=error, status=error.http_status)
    except ApplicationError as error:
        return _home_render(request, form, error=error, status=error.http_status)
    if report.already_imported:
        messages.info(request, gettext("This file was already imported: here is that report."))
    else:
        messages.success(request, gettext("Imported and reconciled."))
    return _see("finance-report", report.pk)


@dataclass(frozen=True)
class ItemRow:
    item: ReconciliationItem
    row_number: int | None
    line_type: str
    kind: str
    status: str
    expected: str
    reported: str
    difference: str
    clearing_adjustment: str
    is_open: bool


def _item_rows(items: list[ReconciliationItem], language: str) -> list[ItemRow]:
    def money(cents: int) -> str:
        return format_amount_for_locale(cents, language)

    return [
        ItemRow(
            item=item,
            row_number=item.line.row_number if item.line is not None else None,
            line_type=str(SettlementLineType(item.line_type).label),
            kind=str(ReconciliationKind(item.kind).label),
            status=str(ReconciliationStatus(item.status).label),
            expected=money(item.expected_cents),
            reported=money(item.reported_cents),
            difference=money(item.difference_cents),
            clearing_adjustment=money(reconciliation_clearing_adjustment_cents(item=item)),
            is_open=item.status == ReconciliationStatus.OPEN,
        )
        for item in items
    ]


def _report_render(
    request: HttpRequest,
    report: SettlementReport,
    *,
    resolve_form: ReconciliationResolveForm | None = None,
    failed_item_id: int | None = None,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    language = request.LANGUAGE_CODE
    items = list(reconciliation_items_for_report(report=report)[: MAX_ITEMS_LISTED + 1])
    counts = reconciliation_counts(report=report)
    context = {
        "report": report,
        "counts": counts,
        "kinds": [(str(kind.label), counts.by_kind[kind.value]) for kind in ReconciliationKind],
        "statuses": [
            (str(state.label), counts.by_status[state.value]) for state in ReconciliationStatus
        ],
        "open_difference": format_amount_for_locale(counts.open_difference_cents, language),
        "captured": format_amount_for_locale(report.captured_cents, language),
        "refunded": format_amount_for_locale(report.refunded_cents, language),
        "fees": format_amount_for_locale(report.fee_cents, language),
        "rows": _item_rows(items[:MAX_ITEMS_LISTED], language),
        "truncated": len(items) > MAX_ITEMS_LISTED,
        "limit": MAX_ITEMS_LISTED,
        "may_resolve": staff_may(request.user, Permission.FINANCE_RESOLVE),
        "resolve_form": ReconciliationResolveForm(),
        "failed_form": resolve_form,
        "failed_item_id": failed_item_id,
        "error": error,
    }
    return backoffice_render(request, "backoffice/finance/report.html", context, status=status)


@backoffice_view(Permission.FINANCE_VIEW)
@require_GET
def finance_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """One report: its totals, counts per kind and status, and the items, open ones first."""
    try:
        report = settlement_report_get(report_id=report_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    return _report_render(request, report)


@backoffice_view(Permission.FINANCE_VIEW)
@require_GET
def finance_report_csv(request: HttpRequest, report_id: int) -> HttpResponse:
    try:
        report = settlement_report_get(report_id=report_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    content = reconciliation_items_csv(
        report=report, decimal_comma=csv_decimal_comma(request.LANGUAGE_CODE)
    )
    return _csv_response(content, f"settlement-report-{report.pk}.csv")


@backoffice_view(Permission.FINANCE_RESOLVE)
@require_POST
def finance_item_resolve(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = reconciliation_item_get(item_id=item_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    form = ReconciliationResolveForm(request.POST)
    if not form.is_valid():
        return _report_render(
            request, item.report, resolve_form=form, failed_item_id=item.pk, status=422
        )
    try:
        reconciliation_item_resolve(
            item=item,
            reason=form.cleaned_data["reason"],
            actor=backoffice_actor(request),
            with_transfer=form.with_transfer(),
        )
    except ApplicationError as error:
        return _report_render(
            request,
            item.report,
            resolve_form=form,
            failed_item_id=item.pk,
            error=error,
            status=error.http_status,
        )
    messages.success(request, gettext("Difference resolved."))
    return _see("finance-report", item.report_id, fragment=f"#item-{item.pk}")


@dataclass(frozen=True)
class BalanceLine:
    label: str
    accounts: str
    debits: str
    credits: str
    balance: str
    total: bool


def _balance_lines(balance: TrialBalance, language: str) -> list[tuple[str, list[BalanceLine]]]:
    def money(cents: int) -> str:
        return format_amount_for_locale(cents, language)

    sections = []
    for section in balance.sections:
        lines = [
            BalanceLine(
                label=row.account_code or account_kind_label(row.kind),
                accounts=str(row.accounts),
                debits=money(row.debits_cents),
                credits=money(row.credits_cents),
                balance=money(row.balance_cents),
                total=False,
            )
            for row in section.rows
        ]
        lines.append(
            BalanceLine(
                label=gettext("Total"),
                accounts="",
                debits=money(section.debits_cents),
                credits=money(section.credits_cents),
                balance=money(section.balance_cents),
                total=True,
            )
        )
        sections.append((account_type_label(section.account_type), lines))
    return sections


def _trial_balance_page(request: HttpRequest, form: DayForm) -> HttpResponse:
    if not form.is_valid():
        context: dict[str, object] = {"form": form, "balance": None}
        template = "backoffice/finance/trial_balance.html"
        return backoffice_render(request, template, context, status=422)
    balance = trial_balance(on=form.day())
    language = request.LANGUAGE_CODE
    context = {
        "form": form,
        "balance": balance,
        "day": balance.on.isoformat(),
        "sections": _balance_lines(balance, language),
        "debits": format_amount_for_locale(balance.debits_cents, language),
        "credits": format_amount_for_locale(balance.credits_cents, language),
    }
    return backoffice_render(request, "backoffice/finance/trial_balance.html", context)


@backoffice_view(Permission.FINANCE_VIEW)
@require_GET
def finance_trial_balance(request: HttpRequest) -> HttpResponse:
    """Debits, credits and balances per account type and kind at the end of a day (today when
    none is chosen)."""
    return _trial_balance_page(request, DayForm(request.GET))


@backoffice_view(Permission.FINANCE_VIEW)
@require_GET
def finance_trial_balance_csv(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET)
    if not form.is_valid():
        return _trial_balance_page(request, form)
    day = form.day()
    content = trial_balance_csv(
        balance=trial_balance(on=day), decimal_comma=csv_decimal_comma(request.LANGUAGE_CODE)
    )
    return _csv_response(content, f"trial-balance-{day.isoformat()}.csv")


@backoffice_view(Permission.FINANCE_IMPORT)
@require_GET
def finance_simulator_report(request: HttpRequest) -> HttpResponse:
    """A demo aid: the payment simulator's settlement report of a day, ready to import."""
    form = DayForm(request.GET)
    if not form.is_valid():
        return _home_render(request, SettlementUploadForm(), day_form=form, status=422)
    day = form.day()
    return _csv_response(
        simulator_settlement_csv(day=day), f"simulator-settlement-{day.isoformat()}.csv"
    )
