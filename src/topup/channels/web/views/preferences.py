"""Settings of the logged-in line: language, low-balance alert threshold, saved numbers."""

from __future__ import annotations

from typing import Final

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from topup.channels.web.session import login_required_sim, web_actor
from topup.core.errors import ApplicationError
from topup.core.money import AmountParseError, format_amount, parse_amount_cents
from topup.subscribers import services as subscriber_services
from topup.subscribers.errors import LowBalanceAlertOutOfRange, SavedNumberNotFound
from topup.subscribers.models import Sim
from topup.subscribers.numbers import format_msisdn_national
from topup.subscribers.selectors import saved_numbers_for

# Which form field a service error belongs next to; anything else is shown above the form.
_PREFERENCE_FIELDS: Final = {
    "preferred_language": "language",
    "low_balance_alert_cents": "low_balance_alert",
}
_SAVED_NUMBER_FIELDS: Final = {"msisdn": "msisdn", "nickname": "nickname"}


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    low_balance_alert = forms.CharField(label=_("Low-balance alert below (€)"), max_length=12)

    def clean_low_balance_alert(self) -> int:
        try:
            return parse_amount_cents(self.cleaned_data["low_balance_alert"])
        except AmountParseError as error:
            raise forms.ValidationError(str(LowBalanceAlertOutOfRange.default_message)) from error


class SavedNumberForm(forms.Form):
    msisdn = forms.CharField(label=_("Mobile number"), max_length=32)
    nickname = forms.CharField(label=_("Nickname"), max_length=80)


def _error_to_form(form: forms.Form, error: ApplicationError, fields: dict[str, str]) -> None:
    """Put a service's refusal next to the field it is about, in the request language."""
    field = error.details.get("field")
    form.add_error(fields.get(field) if isinstance(field, str) else None, str(error.message))


def _settings_page(
    request: HttpRequest,
    *,
    sim: Sim,
    preferences_form: PreferencesForm | None = None,
    saved_number_form: SavedNumberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    subscriber = sim.subscriber
    if preferences_form is None:
        initial = {
            "language": subscriber.preferred_language if subscriber else request.LANGUAGE_CODE,
            "low_balance_alert": format_amount(subscriber.low_balance_alert_cents)
            if subscriber
            else "",
        }
        preferences_form = PreferencesForm(initial=initial)
    saved_numbers = [
        (saved, format_msisdn_national(saved.msisdn)) for saved in saved_numbers_for(owner=sim)
    ]
    context = {
        "preferences_form": preferences_form,
        "saved_number_form": saved_number_form or SavedNumberForm(),
        "saved_numbers": saved_numbers,
        "has_account": subscriber is not None,
    }
    return render(request, "web/settings.html", context, status=status)


def _language_cookie_set(response: HttpResponse, language: str) -> None:
    """The same cookie as Django's language picker, so the site switches at the next page."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required_sim
def preferences(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request, sim=sim)
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, sim=sim, preferences_form=form, status=422)
    language: str = form.cleaned_data["language"]
    try:
        subscriber_services.subscriber_preferences_update(
            sim=sim,
            preferred_language=language,
            low_balance_alert_cents=form.cleaned_data["low_balance_alert"],
            actor=web_actor(request, sim),
        )
    except ApplicationError as error:
        _error_to_form(form, error, _PREFERENCE_FIELDS)
        return _settings_page(request, sim=sim, preferences_form=form, status=error.http_status)
    with translation.override(language):
        messages.success(request, gettext("Your settings are saved."))
    response = redirect("web:settings")
    _language_cookie_set(response, language)
    return response


@require_POST
@login_required_sim
def saved_number_add(request: HttpRequest, *, sim: Sim) -> HttpResponse:
    form = SavedNumberForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, sim=sim, saved_number_form=form, status=422)
    try:
        subscriber_services.saved_number_add(
            owner=sim,
            msisdn=form.cleaned_data["msisdn"],
            nickname=form.cleaned_data["nickname"],
            actor=web_actor(request, sim),
        )
    except ApplicationError as error:
        _error_to_form(form, error, _SAVED_NUMBER_FIELDS)
        return _settings_page(request, sim=sim, saved_number_form=form, status=error.http_status)
    messages.success(request, gettext("The number is saved."))
    return redirect("web:settings")


@require_POST
@login_required_sim
def saved_number_delete(request: HttpRequest, saved_number_id: int, *, sim: Sim) -> HttpResponse:
    try:
        subscriber_services.saved_number_delete(
            owner=sim, saved_number_id=saved_number_id, actor=web_actor(request, sim)
        )
    except SavedNumberNotFound:
        # Deleted already (a second click) or not this line's: nothing to do either way.
        messages.info(request, gettext("This saved number no longer exists."))
        return redirect("web:settings")
    messages.success(request, gettext("The number is deleted."))
    return redirect("web:settings")
