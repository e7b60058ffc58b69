"""Finding a customer by number (masked facts only) and identifying them with the original document.

The number travels in POST bodies and the session, never in a URL. Errors from the services are
shown next to the field they are about.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from topup.channels.shop.console.auth import staff_required
from topup.channels.shop.console.context import console_render, msisdn_masked
from topup.channels.shop.console.forms import CustomerSearchForm, IdentifyForm
from topup.core.errors import ApplicationError
from topup.shops.models import StaffMembership
from topup.shops.services import ShopCustomer, shop_customer_lookup, shop_identify_customer

# The customer being served: forms of the next pages start with this number.
SESSION_CUSTOMER_MSISDN = "shop_console_msisdn"

# Which field an error belongs next to, by error code (and, for document numbers, reason).
_FIELD_BY_CODE = {
    "invalid_msisdn": "msisdn",
    "subscriber_not_found": "msisdn",
    "customer_has_no_subscriber": "msisdn",
    "document_expired": "expires_on",
}
_FIELD_BY_DOCUMENT_REASON = {
    "national_register_number": "national_register_number",
    "issuing_country": "issuing_country",
    "expiry_mismatch": "expires_on",
    "mrz_expiry": "expires_on",
    "document_type": "document_type",
}
# What the agent can do about a refused document number, by the validator's reason.
_DOCUMENT_HINTS = {
    "check_digits": _("The check digits do not match: a digit was probably mistyped."),
    "mrz_check_digits": _(
        "A check digit in the MRZ lines does not match: scan them again or correct the typing."
    ),
    "mrz_format": _(
        "The MRZ lines have the wrong shape: 3 lines of 30 characters for an identity card, "
        "2 lines of 44 for a passport."
    ),
    "national_register_number": _(
        "The national register number's check digits do not match: check the 11 digits."
    ),
    "expiry_mismatch": _("The expiry date typed is not the one in the MRZ lines."),
    "issuing_country": _("Type the country code as on the document, for example BEL."),
    "format": _("This number does not have the format of this document type."),
}


@require_http_methods(["GET", "POST"])
@staff_required
def customer(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    if request.method == "GET":
        return _customer_page(request, membership, form=CustomerSearchForm(), found=None)
    form = CustomerSearchForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, membership, form=form, found=None, status=422)
    try:
        found = shop_customer_lookup(membership=membership, msisdn=form.cleaned_data["msisdn"])
    except ApplicationError as error:
        request.session.pop(SESSION_CUSTOMER_MSISDN, None)
        form.add_error("msisdn", str(error.message))
        return _customer_page(request, membership, form=form, found=None, status=error.http_status)
    request.session[SESSION_CUSTOMER_MSISDN] = found.msisdn
    return _customer_page(request, membership, form=form, found=found)


@require_http_methods(["GET", "POST"])
@staff_required
def identify(request: HttpRequest, membership: StaffMembership) -> HttpResponse:
    if request.method == "GET":
        form = IdentifyForm(initial={"msisdn": request.session.get(SESSION_CUSTOMER_MSISDN, "")})
        return _identify_page(request, membership, form=form)
    form = IdentifyForm(request.POST)
    if not form.is_valid():
        return _identify_page(request, membership, form=form, status=422)
    data = form.cleaned_data
    try:
        record = shop_identify_customer(
            membership=membership,
            msisdn=data["msisdn"],
            document_type=data["document_type"],
            document_number=data["document_number"],
            issuing_country=data["issuing_country"],
            expires_on=data["expires_on"],
            national_register_number=data["national_register_number"] or None,
        )
    except ApplicationError as error:
        _error_to_field(form, error)
        return _identify_page(request, membership, form=form, status=error.http_status)
    found = shop_customer_lookup(membership=membership, msisdn=data["msisdn"])
    request.session[SESSION_CUSTOMER_MSISDN] = found.msisdn
    context = {"record": record, "found": found, "accepted": record.status == "accepted"}
    return console_render(request, "shop/identify_done.html", context, membership=membership)


def _error_to_field(form: IdentifyForm, error: ApplicationError) -> None:
    reason = error.details.get("reason")
    field: str | None = _FIELD_BY_CODE.get(error.code)
    hint = ""
    if error.code == "invalid_document_number":
        field = _FIELD_BY_DOCUMENT_REASON.get(str(reason), "document_number")
        hint = str(_DOCUMENT_HINTS.get(str(reason), ""))
    message = f"{error.message} {hint}".strip()
    form.add_error(field, message)


def _customer_page(
    request: HttpRequest,
    membership: StaffMembership,
    *,
    form: CustomerSearchForm,
    found: ShopCustomer | None,
    status: int = 200,
) -> HttpResponse:
    return console_render(
        request,
        "shop/customer.html",
        {
            "form": form,
            "found": found,
            "msisdn_masked": msisdn_masked(found.msisdn) if found else "",
        },
        membership=membership,
        status=status,
    )


def _identify_page(
    request: HttpRequest, membership: StaffMembership, *, form: IdentifyForm, status: int = 200
) -> HttpResponse:
    return console_render(
        request, "shop/identify.html", {"form": form}, membership=membership, status=status
    )
