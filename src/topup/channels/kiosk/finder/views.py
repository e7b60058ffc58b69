"""The public kiosk finder under /kiosks/: the nearest kiosks in service, and kiosk receipts.

No login and no personal data in addresses: coordinates travel in POST bodies only. A kiosk
receipt is reached through the signed link printed (or shown as a QR code) by the kiosk; it
shows the number masked.
"""

from __future__ import annotations

from typing import Final

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from topup.channels.kiosk.finder.forms import CoordinatesForm, MunicipalityForm
from topup.core.errors import ApplicationError
from topup.core.languages import languages_native
from topup.core.money import format_amount_for_locale
from topup.kiosks.selectors import KioskDistance, kiosks_in_service_near
from topup.kiosks.services import kiosk_receipt_order_from_link
from topup.topups.services import topup_receipt_build
from topup.visits.selectors import PostalCodesNotSupported, municipality_find

RESULTS_LIMIT: Final = 5
VISIBLE_MSISDN_DIGITS: Final = 2


def _page(
    request: HttpRequest, template: str, context: dict[str, object], status: int = 200
) -> HttpResponse:
    context["kiosks_languages"] = languages_native()
    return render(request, f"kiosks/{template}", context, status=status)


def _municipality_places(form: MunicipalityForm) -> tuple[list[KioskDistance] | None, str]:
    try:
        municipality = municipality_find(name=form.cleaned_data["q"])
    except PostalCodesNotSupported:
        form.add_error(
            "q", _("Postal codes are not supported yet. Type the name of the municipality.")
        )
        return None, ""
    if municipality is None:
        form.add_error(
            "q",
            _("We do not know this Belgian municipality. Check the spelling or use coordinates."),
        )
        return None, ""
    places = kiosks_in_service_near(
        latitude=municipality.latitude, longitude=municipality.longitude, limit=RESULTS_LIMIT
    )
    return places, municipality.name


@require_http_methods(["GET", "POST"])
def finder(request: HttpRequest) -> HttpResponse:
    """Search by municipality (GET, a place name is not personal) or by coordinates (POST)."""
    name_form = MunicipalityForm(request.GET or None)
    coordinates_form = CoordinatesForm(request.POST or None)
    context: dict[str, object] = {"name_form": name_form, "coordinates_form": coordinates_form}
    places: list[KioskDistance] | None = None
    if request.method == "POST" and coordinates_form.is_valid():
        places = kiosks_in_service_near(
            latitude=float(coordinates_form.cleaned_data["latitude"]),
            longitude=float(coordinates_form.cleaned_data["longitude"]),
            limit=RESULTS_LIMIT,
        )
        context["searched_for"] = _("your coordinates")
    elif request.method == "GET" and name_form.is_valid():
        places, context["searched_for"] = _municipality_places(name_form)
    if places is not None:
        context["results"] = places
    status = 200 if not (name_form.errors or coordinates_form.errors) else 422
    return _page(request, "finder.html", context, status=status)


def _masked_msisdn(msisdn: str) -> str:
    """+32 4•• •• •• 56: the last digits only, enough to recognise one's own line."""
    return "+32 4•• •• •• " + msisdn[-VISIBLE_MSISDN_DIGITS:]


@never_cache
@require_GET
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt of a kiosk top-up, from the link on the paper receipt or the kiosk screen."""
    try:
        order = kiosk_receipt_order_from_link(token=token)
        built = topup_receipt_build(order=order)
    except ApplicationError as error:
        raise Http404 from error
    language = translation.get_language() or "en"
    return _page(
        request,
        "receipt.html",
        {
            "receipt": built,
            "number": _masked_msisdn(built.msisdn),
            "amount": format_amount_for_locale(built.amount_cents, language),
            "vat_amount": format_amount_for_locale(built.vat_cents, language),
        },
    )
