"""Back office: the compliance review queue, one case with the line's identifications, the decision,
and the retention runs with their reports.

Document numbers appear masked only; opening a case is a look at personal data and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from topup.audit.services import audit_record
from topup.channels.backoffice.auth import backoffice_actor, backoffice_view
from topup.channels.backoffice.compliance.forms import (
    CaseDecideForm,
    CaseQueueFilterForm,
    RetentionRunForm,
)
from topup.channels.backoffice.context import backoffice_error, backoffice_render
from topup.compliance.models import CaseKind, CaseStatus, ComplianceCase
from topup.compliance.selectors import (
    compliance_case_counts,
    compliance_case_get,
    compliance_case_list,
    compliance_line_cases,
    compliance_line_identifications,
    compliance_scan_last,
    retention_run_actions,
    retention_run_get,
    retention_run_list,
)
from topup.compliance.services import (
    compliance_case_decide,
    compliance_scan,
    identification_retention_run,
)
from topup.core import clock
from topup.core.errors import ApplicationError, JsonValue, NotFound
from topup.staff.roles import Permission, staff_may
from topup.subscribers.models import IdentificationRecord
from topup.subscribers.numbers import format_msisdn_masked
from topup.subscribers.selectors import sim_masked_name

# Stored codes (English in the database) as staff read them, in the page's language.
LABELS: Final[dict[str, str | Promise]] = {
    "awaiting_identification": _("Awaiting identification"),
    "active": _("Active"),
    "suspended": _("Suspended"),
    "terminated": _("Terminated"),
    "shop_document": _("Original document in a shop"),
    "online_eid": _("Online with the eID"),
    "certified_service": _("Certified identification service"),
    "online_payment": _("Online payment in the customer's name"),
    "existing_customer": _("Existing customer"),
    "accepted": _("Accepted"),
    "anomaly": _("Anomaly (line not activated)"),
    "be_eid": _("Belgian eID card"),
    "eu_id_card": _("EU identity card"),
    "passport": _("Passport"),
    "be_foreigner_card": _("Belgian foreigner's card"),
    "temporary_document": _("Temporary replacement document"),
    "refused_by_policy": _("An identification refused by the SIMs-per-identity policy"),
    "identity_over_limit": _("More live lines for one identity than the policy allows"),
    "document_number": _("Document number"),
    "national_register_number": _("National register number"),
    "line_terminated": _("Line terminated"),
    "superseded": _("Superseded by a newer identification"),
    "identification_record": _("Identification record"),
    "subscriber": _("Subscriber"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "name_corrections": _("Names in past corrections"),
    "document_expires_on": _("Document expiry date"),
    "issuing_country": _("Issuing country"),
    "evidence_reference": _("Evidence reference"),
}
# The keys of a case's details, as staff read them.
DETAIL_LABELS: Final[dict[str, str | Promise]] = {
    "document_type": _("Document type"),
    "expired_on": _("Expired on"),
    "refusals": _("Check-digit refusals"),
    "window_days": _("Counted over (days)"),
    "last_refused_at": _("Last refusal"),
    "source": _("Found by"),
    "anomaly": _("Anomaly recorded"),
    "matched_on": _("Same identity by"),
    "active_lines": _("Live lines of this identity"),
    "limit": _("Limit"),
    "lines": _("Those lines"),
    "requests": _("Re-identification requests"),
    "reidentifications": _("Re-identifications"),
    "line_hold_id": _("Hold"),
    "detected_at": _("Hold opened"),
}


def label(code: str) -> str:
    return str(LABELS.get(code, code))


# Details stored as ISO dates and times, shown in the page's format.
_DETAIL_DATES: Final = frozenset({"expired_on"})
_DETAIL_DATETIMES: Final = frozenset({"last_refused_at", "detected_at"})


def _detail_value(key: str, value: JsonValue) -> str:
    if isinstance(value, list):
        return ", ".join(_detail_value(key, item) for item in value)
    if value is None:
        return "—"
    text = str(value)
    day = parse_date(text) if key in _DETAIL_DATES else None
    if day is not None:
        return date_format(day, "SHORT_DATE_FORMAT")
    moment = parse_datetime(text) if key in _DETAIL_DATETIMES else None
    if moment is not None:
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    return label(text)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@dataclass(frozen=True)
class CaseRow:
    case: ComplianceCase
    kind: str
    number: str
    age: str


@backoffice_view(Permission.COMPLIANCE_VIEW)
@require_GET
def compliance_queue(request: HttpRequest) -> HttpResponse:
    """Open cases, oldest first, with counts per kind; a filter shows one kind or decided ones."""
    form = CaseQueueFilterForm(request.GET or None)
    kind, status = form.chosen()
    now = clock.now()
    rows = [
        CaseRow(
            case=case,
            kind=case.get_kind_display(),
            number=format_msisdn_masked(case.sim.msisdn),
            age=timesince(case.detected_at, now=now, depth=1),
        )
        for case in compliance_case_list(kind=kind, status=status)
    ]
    counts = compliance_case_counts()
    context = {
        "form": form,
        "rows": rows,
        "status": status,
        "counts": [(value, text, counts[value]) for value, text in CaseKind.choices],
        "open_total": sum(counts.values()),
        "last_scan": compliance_scan_last(),
        "may_scan": staff_may(request.user, Permission.COMPLIANCE_DECIDE),
    }
    return backoffice_render(request, "backoffice/compliance/queue.html", context)


@dataclass(frozen=True)
class IdentificationRow:
    record: IdentificationRecord
    method: str
    status: str
    document_type: str
    erased: bool
    in_case: bool


def _identification_rows(case: ComplianceCase) -> list[IdentificationRow]:
    return [
        IdentificationRow(
            record=record,
            method=label(record.method),
            status=label(record.status),
            document_type=label(record.document_type) if record.document_type else "",
            erased=record.erased_at is not None,
            in_case=record.pk == case.identification_record_id,
        )
        for record in compliance_line_identifications(case=case)
    ]


def _case_page(
    request: HttpRequest,
    case: ComplianceCase,
    form: CaseDecideForm,
    *,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    """One case and the line's identification history: a look at personal data, audited."""
    audit_record(
        actor=backoffice_actor(request),
        action="customer.viewed",
        object_type="subscribers.sim",
        object_id=case.sim_id,
        data={"screen": "compliance-case", "compliance_case_id": case.pk},
    )
    sim = case.sim
    context = {
        "case": case,
        "kind": case.get_kind_display(),
        "number": format_msisdn_masked(sim.msisdn),
        "name": sim_masked_name(sim=sim),
        "line_status": label(sim.status),
        "details": [
            (DETAIL_LABELS.get(key, key), _detail_value(key, value))
            for key, value in case.details.items()
        ],
        "identifications": _identification_rows(case),
        "other_cases": compliance_line_cases(case=case),
        "form": form,
        "error": error,
        "may_decide": case.status == CaseStatus.OPEN
        and staff_may(request.user, Permission.COMPLIANCE_DECIDE),
    }
    return backoffice_render(request, "backoffice/compliance/case.html", context, status=status)


def _case_or_error(request: HttpRequest, case_id: int) -> ComplianceCase | HttpResponse:
    try:
        return compliance_case_get(case_id=case_id)
    except NotFound as error:
        return backoffice_error(request, error)


@backoffice_view(Permission.COMPLIANCE_VIEW)
@require_GET
def compliance_case(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_error(request, case_id)
    if isinstance(case, HttpResponse):
        return case
    return _case_page(request, case, CaseDecideForm())


@backoffice_view(Permission.COMPLIANCE_DECIDE)
@require_POST
def compliance_case_decide_submit(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_error(request, case_id)
    if isinstance(case, HttpResponse):
        return case
    form = CaseDecideForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, form, status=422)
    try:
        compliance_case_decide(
            case=case,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            actor=backoffice_actor(request),
        )
    except ApplicationError as error:
        shown = None if form.add_service_error(error) else error
        case = compliance_case_get(case_id=case.pk)  # as it is now, after the refusal
        return _case_page(request, case, form, error=shown, status=error.http_status)
    messages.success(request, gettext("Decided."))
    return _see_other(reverse("backoffice:compliance-case", kwargs={"case_id": case.pk}))


@backoffice_view(Permission.COMPLIANCE_DECIDE)
@require_POST
def compliance_scan_submit(request: HttpRequest) -> HttpResponse:
    report = compliance_scan(actor=backoffice_actor(request))
    count = report.opened_total
    messages.success(
        request,
        ngettext("Scan finished: %(count)d new case.", "Scan finished: %(count)d new cases.", count)
        % {"count": count},
    )
    return _see_other(reverse("backoffice:compliance-queue"))


@backoffice_view(Permission.COMPLIANCE_VIEW)
@require_GET
def compliance_retention(request: HttpRequest) -> HttpResponse:
    context = {
        "runs": retention_run_list(),
        "retention_days": settings.TOPUP_IDENTIFICATION_RETENTION_DAYS,
        "may_run": staff_may(request.user, Permission.RETENTION_RUN),
    }
    return backoffice_render(request, "backoffice/compliance/retention.html", context)


@backoffice_view(Permission.COMPLIANCE_VIEW)
@require_GET
def compliance_retention_report(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = retention_run_get(run_id=run_id)
    except NotFound as error:
        return backoffice_error(request, error)
    actions = [
        {
            "action": action,
            "target": label(action.target),
            "basis": label(action.basis),
            "fields": ", ".join(label(str(name)) for name in action.fields) or "—",
        }
        for action in retention_run_actions(run=run)
    ]
    context = {"run": run, "actions": actions}
    return backoffice_render(request, "backoffice/compliance/retention_report.html", context)


@backoffice_view(Permission.RETENTION_RUN)
@require_POST
def compliance_retention_run(request: HttpRequest) -> HttpResponse:
    form = RetentionRunForm(request.POST)
    if not form.is_valid():
        return _see_other(reverse("backoffice:compliance-retention"))
    run = identification_retention_run(actor=backoffice_actor(request), dry_run=form.dry_run())
    if run.dry_run:
        messages.info(request, gettext("Dry run finished: nothing was erased."))
    else:
        messages.success(request, gettext("Retention run finished."))
    return _see_other(reverse("backoffice:compliance-retention-report", kwargs={"run_id": run.pk}))
