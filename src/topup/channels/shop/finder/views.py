"""The public shop finder under /shops/: find a shop, see its busy hours, queue or book.

No login and no personal data in addresses: coordinates and phone numbers travel in POST
bodies only, and a ticket or booking reference is kept in the session, never in the URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from topup.catalog.models import Shop
from topup.channels.shop.finder import presenters
from topup.channels.shop.finder.forms import (
    BookingForm,
    CancelForm,
    CoordinatesForm,
    MunicipalityForm,
)
from topup.core import clock
from topup.core.errors import ApplicationError
from topup.shops.selectors import shop_counter_orders
from topup.visits.selectors import (
    PostalCodesNotSupported,
    ShopDistance,
    booking_get,
    busy_hours,
    municipality_find,
    queue_people_ahead,
    queue_ticket_get,
    shop_hours_list,
    shops_near,
)
from topup.visits.services import (
    BOOKING_DAYS_AHEAD_MAX,
    WaitEstimate,
    booking_cancel,
    booking_create,
    booking_reference_display,
    booking_reference_seal,
    booking_reference_unseal,
    booking_slots,
    queue_ticket_take,
    queue_wait_estimate,
)

RESULTS_LIMIT: Final = 5
BOOKING_DAYS_SHOWN: Final = 14
_SESSION_TICKET: Final = "shops_ticket_id"
_SESSION_BOOKING: Final = "shops_booking_id"
_SESSION_BOOKING_REFERENCE: Final = "shops_booking_reference"  # sealed: sessions are readable


def _page(
    request: HttpRequest, template: str, context: dict[str, object], status: int = 200
) -> HttpResponse:
    context["shops_languages"] = presenters.picker_languages()
    return render(request, f"shops/{template}", context, status=status)


def _shop_or_404(code: str) -> Shop:
    shop = Shop.objects.filter(code=code).first()
    if shop is None:
        raise Http404
    return shop


def _results(places: list[ShopDistance]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for place in places:
        hours = shop_hours_list(shop=place.shop)
        rows.append(
            {
                "shop": place.shop,
                "distance_km": place.distance_km,
                "hours": presenters.opening_hours(hours),
                "has_hours": bool(hours),
                "languages": presenters.languages_spoken(place.shop.languages),
                "wait": queue_wait_estimate(shop=place.shop),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def finder(request: HttpRequest) -> HttpResponse:
    """Search by municipality (GET, a place name is not personal) or by coordinates (POST)."""
    name_form = MunicipalityForm(request.GET or None)
    coordinates_form = CoordinatesForm(request.POST or None)
    context: dict[str, object] = {"name_form": name_form, "coordinates_form": coordinates_form}
    places: list[ShopDistance] | None = None
    if request.method == "POST" and coordinates_form.is_valid():
        latitude = float(coordinates_form.cleaned_data["latitude"])
        longitude = float(coordinates_form.cleaned_data["longitude"])
        places = shops_near(latitude=latitude, longitude=longitude, limit=RESULTS_LIMIT)
        context["searched_for"] = _("your coordinates")
    elif request.method == "GET" and name_form.is_valid():
        try:
            municipality = municipality_find(name=name_form.cleaned_data["q"])
        except PostalCodesNotSupported:
            name_form.add_error(
                "q", _("Postal codes are not supported yet. Type the name of the municipality.")
            )
            municipality = None
        else:
            if municipality is None:
                name_form.add_error(
                    "q",
                    _(
                        "We do not know this Belgian municipality. "
                        "Check the spelling or use coordinates."
                    ),
                )
        if municipality is not None:
            places = shops_near(
                latitude=municipality.latitude,
                longitude=municipality.longitude,
                limit=RESULTS_LIMIT,
            )
            context["searched_for"] = municipality.name
    if places is not None:
        context["results"] = _results(places)
    status = 200 if not (name_form.errors or coordinates_form.errors) else 422
    return _page(request, "finder.html", context, status=status)


@require_GET
def shop_detail(request: HttpRequest, code: str) -> HttpResponse:
    shop = _shop_or_404(code)
    hours = shop_hours_list(shop=shop)
    busy = busy_hours(shop=shop, counter_orders=shop_counter_orders(shop=shop))
    columns, rows = presenters.busy_rows(busy, hours)
    return _page(
        request,
        "shop.html",
        {
            "shop": shop,
            "hours": presenters.opening_hours(hours),
            "has_hours": bool(hours),
            "languages": presenters.languages_spoken(shop.languages),
            "busy": busy,
            "busy_columns": columns,
            "busy_rows": rows,
            "quiet_times": presenters.quiet_times(busy, hours),
            "wait": queue_wait_estimate(shop=shop),
        },
    )


@require_POST
def ticket_take(request: HttpRequest, code: str) -> HttpResponse:
    """Take a ticket online; the page after the redirect shows it (a reload takes no second one)."""
    shop = _shop_or_404(code)
    try:
        ticket = queue_ticket_take(shop=shop, source="online")
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("shops:shop", code=shop.code)
    request.session[_SESSION_TICKET] = ticket.pk
    return redirect("shops:ticket", code=shop.code)


@never_cache
@require_GET
def ticket_show(request: HttpRequest, code: str) -> HttpResponse:
    shop = _shop_or_404(code)
    ticket = queue_ticket_get(ticket_id=request.session.get(_SESSION_TICKET), shop=shop)
    if ticket is None:
        return redirect("shops:shop", code=shop.code)
    wait: WaitEstimate = queue_wait_estimate(shop=shop)
    ahead = queue_people_ahead(ticket=ticket)
    return _page(
        request, "ticket.html", {"shop": shop, "ticket": ticket, "wait": wait, "ahead": ahead}
    )


def _booking_days(shop: Shop) -> list[dict[str, object]]:
    today = timezone.localdate(clock.now())
    days: list[dict[str, object]] = []
    for offset in range(min(BOOKING_DAYS_SHOWN, BOOKING_DAYS_AHEAD_MAX + 1)):
        day = today + dt.timedelta(days=offset)
        free = sum(slot.free for slot in booking_slots(shop=shop, day=day) if slot.bookable)
        days.append({"day": day, "free": free})
    return days


def _slot_choices(shop: Shop, day: dt.date) -> list[tuple[str, str]]:
    return [
        (slot.start.isoformat(), timezone.localtime(slot.start).strftime("%H:%M"))
        for slot in booking_slots(shop=shop, day=day)
        if slot.bookable
    ]


def _day_parse(text: str | None) -> dt.date | None:
    """`YYYY-MM-DD`, or None for anything else: `2026-02-30` is no day (parse_date raises)."""
    try:
        return parse_date(text or "")
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def booking(request: HttpRequest, code: str) -> HttpResponse:
    """Day picker (GET) → the day's free slots and the number (form) → POST → confirmation."""
    shop = _shop_or_404(code)
    day_text = request.POST.get("day") if request.method == "POST" else request.GET.get("day")
    day = _day_parse(day_text)
    context: dict[str, object] = {"shop": shop, "days": _booking_days(shop), "day": day}
    if day is None:
        return _page(request, "booking_days.html", context)
    form = BookingForm(
        request.POST if request.method == "POST" else None, slot_choices=_slot_choices(shop, day)
    )
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        try:
            created = booking_create(
                shop=shop,
                slot_start=dt.datetime.fromisoformat(form.cleaned_data["slot"]),
                msisdn=form.cleaned_data["msisdn"],
                language=translation.get_language() or "en",
            )
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            request.session[_SESSION_BOOKING] = created.booking.pk
            request.session[_SESSION_BOOKING_REFERENCE] = booking_reference_seal(created.reference)
            return redirect("shops:booking-done", code=shop.code)
    status = 422 if form.errors else 200
    return _page(request, "booking_slots.html", context, status=status)


@never_cache
@require_GET
def booking_done(request: HttpRequest, code: str) -> HttpResponse:
    shop = _shop_or_404(code)
    created = booking_get(booking_id=request.session.get(_SESSION_BOOKING), shop=shop)
    reference = booking_reference_unseal(request.session.get(_SESSION_BOOKING_REFERENCE))
    if created is None or reference is None:
        return redirect("shops:booking", code=shop.code)
    return _page(
        request,
        "booking_done.html",
        {
            "shop": shop,
            "booking": created,
            "reference": booking_reference_display(reference),
            "slot_local": timezone.localtime(created.slot_start),
        },
    )


@require_http_methods(["GET", "POST"])
def booking_cancel_view(request: HttpRequest) -> HttpResponse:
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking_cancel(reference=form.cleaned_data["reference"])
        except ApplicationError as error:
            form.add_error("reference", str(error.message))
        else:
            messages.success(request, _("Your booking is cancelled."))
            return redirect(reverse("shops:finder"))
    return _page(request, "booking_cancel.html", {"form": form}, status=422 if form.errors else 200)
