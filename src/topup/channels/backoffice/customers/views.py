"""Back office: find a customer, one screen per line, corrections, re-identification, a top-up's
timeline and resending its receipt.

Numbers travel in POST bodies only: the search answers with a redirect to the line's internal id.
Every page that shows personal data records who looked ("customer.viewed").
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from topup.audit.services import audit_record
from topup.channels.backoffice.auth import backoffice_actor, backoffice_view
from topup.channels.backoffice.context import backoffice_error, backoffice_render
from topup.channels.backoffice.customers.forms import (
    CorrectionForm,
    CustomerSearchForm,
    ReidentifyForm,
)
from topup.channels.backoffice.customers.overview import (
    customer_overview,
    customer_topup_facts,
    customer_topup_timeline,
)
from topup.channels.backoffice.customers.search import CustomerNotFound, customer_find
from topup.core.errors import ApplicationError
from topup.staff.roles import Permission, staff_may
from topup.subscribers.models import Sim
from topup.subscribers.numbers import format_msisdn_masked
from topup.subscribers.services import reidentification_request, subscriber_details_correct
from topup.topups.models import TopupOrder
from topup.topups.selectors import topup_order_get
from topup.topups.services import topup_receipt_resend

# Which correction field an error from the service belongs next to.
_CORRECTION_FIELD_BY_CODE = {
    "correction_reason_missing": "reason",
    "invalid_subscriber_name": "last_name",
    "correction_changes_nothing": "last_name",
}


def _see_other(url: str) -> HttpResponse:
    """After a POST: the browser loads the page again with a GET."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _sim_get(sim_id: int) -> Sim:
    sim = Sim.objects.select_related("subscriber").filter(pk=sim_id).first()
    if sim is None:
        raise CustomerNotFound(details={"sim_id": sim_id})
    return sim


def _find_page(
    request: HttpRequest, form: CustomerSearchForm, *, status: int = 200
) -> HttpResponse:
    return backoffice_render(
        request, "backoffice/customers/find.html", {"form": form}, status=status
    )


@backoffice_view(Permission.CUSTOMER_VIEW)
@require_http_methods(["GET", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    """The search: a number in any format, an ICCID, a receipt number or a top-up id."""
    if request.method == "GET":
        return _find_page(request, CustomerSearchForm())
    form = CustomerSearchForm(request.POST)
    if not form.is_valid():
        return _find_page(request, form, status=422)
    try:
        sim = customer_find(text=form.cleaned_data["query"])
    except ApplicationError as error:
        form.add_error("query", str(error.message))
        return _find_page(request, form, status=error.http_status)
    return _see_other(reverse("backoffice:customer-detail", kwargs={"sim_id": sim.pk}))


def _detail_page(
    request: HttpRequest,
    sim: Sim,
    *,
    correct_form: CorrectionForm | None = None,
    reidentify_form: ReidentifyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The one screen of a line; showing it is a look at personal data, and is audited."""
    audit_record(
        actor=backoffice_actor(request),
        action="customer.viewed",
        object_type="subscribers.sim",
        object_id=sim.pk,
        data={"screen": "customer-detail"},
    )
    subscriber = sim.subscriber
    context = {
        "overview": customer_overview(sim=sim, language=request.LANGUAGE_CODE),
        "may_correct": staff_may(request.user, Permission.CUSTOMER_CORRECT),
        "correct_form": correct_form
        or CorrectionForm(
            initial={
                "first_name": subscriber.first_name if subscriber else "",
                "last_name": subscriber.last_name if subscriber else "",
            }
        ),
        "reidentify_form": reidentify_form or ReidentifyForm(),
    }
    return backoffice_render(request, "backoffice/customers/detail.html", context, status=status)


@backoffice_view(Permission.CUSTOMER_VIEW)
@require_GET
def detail(request: HttpRequest, sim_id: int) -> HttpResponse:
    try:
        sim = _sim_get(sim_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    return _detail_page(request, sim)


@backoffice_view(Permission.CUSTOMER_CORRECT)
@require_POST
def correct(request: HttpRequest, sim_id: int) -> HttpResponse:
    """Record a verified change of the subscriber's name; the old name stays in the history."""
    try:
        sim = _sim_get(sim_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, sim, correct_form=form, status=422)
    try:
        subscriber_details_correct(
            sim=sim,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            reason=form.cleaned_data["reason"],
            actor=backoffice_actor(request),
        )
    except ApplicationError as error:
        form.add_error(_CORRECTION_FIELD_BY_CODE.get(error.code), str(error.message))
        return _detail_page(request, sim, correct_form=form, status=error.http_status)
    messages.success(
        request, gettext("The name is corrected. The previous name stays in the history.")
    )
    return _see_other(reverse("backoffice:customer-detail", kwargs={"sim_id": sim.pk}))


@backoffice_view(Permission.CUSTOMER_CORRECT)
@require_POST
def reidentify(request: HttpRequest, sim_id: int) -> HttpResponse:
    """Ask the customer to identify again; the line is held until they do."""
    try:
        sim = _sim_get(sim_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    form = ReidentifyForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, sim, reidentify_form=form, status=422)
    try:
        reidentification_request(
            sim=sim, reason=form.cleaned_data["reason"], actor=backoffice_actor(request)
        )
    except ApplicationError as error:
        form.add_error("reason", str(error.message))
        return _detail_page(request, sim, reidentify_form=form, status=error.http_status)
    messages.success(
        request,
        gettext(
            "Re-identification requested. Top-ups and changes on the line are held until the "
            "customer identifies again."
        ),
    )
    return _see_other(reverse("backoffice:customer-detail", kwargs={"sim_id": sim.pk}))


def _topup_page(
    request: HttpRequest,
    order: TopupOrder,
    *,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    audit_record(
        actor=backoffice_actor(request),
        action="customer.viewed",
        object_type="topup.order",
        object_id=str(order.pk),
        data={"screen": "customer-topup", "sim_id": order.sim_id},
    )
    context = {
        "order": customer_topup_facts(order=order, language=request.LANGUAGE_CODE),
        "timeline": customer_topup_timeline(order=order),
        "may_resend": staff_may(request.user, Permission.RECEIPT_RESEND),
        "error": error,
    }
    return backoffice_render(request, "backoffice/customers/topup.html", context, status=status)


@backoffice_view(Permission.CUSTOMER_VIEW)
@require_GET
def topup(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """One top-up and everything recorded about it, in time order."""
    try:
        order = topup_order_get(order_id=order_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    return _topup_page(request, order)


@backoffice_view(Permission.RECEIPT_RESEND)
@require_POST
def receipt_resend(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """Send the receipt SMS of a credited top-up again, to the line credited."""
    try:
        order = topup_order_get(order_id=order_id)
    except ApplicationError as error:
        return backoffice_error(request, error)
    try:
        topup_receipt_resend(order=order, actor=backoffice_actor(request))
    except ApplicationError as error:
        return _topup_page(request, order, error=error, status=error.http_status)
    messages.success(
        request,
        gettext("The receipt is sent again to %(number)s.")
        % {"number": format_msisdn_masked(order.sim.msisdn)},
    )
    return _see_other(reverse("backoffice:customer-topup", kwargs={"order_id": order.pk}))
