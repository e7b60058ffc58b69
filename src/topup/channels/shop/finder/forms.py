"""Forms of the public shop finder: where the customer is, and booking a visit."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _


class MunicipalityForm(forms.Form):
    q = forms.CharField(
        label=_("Municipality"),
        max_length=100,
        help_text=_("For example Brussel, Liège, Gent or Eupen."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )


class CoordinatesForm(forms.Form):
    """Coordinates are a person's location: they come by POST, never in the address bar."""

    latitude = forms.DecimalField(
        label=_("Latitude"),
        min_value=Decimal(-90),
        max_value=Decimal(90),
        max_digits=9,
        decimal_places=6,
        help_text=_("For example 50.846700"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        min_value=Decimal(-180),
        max_value=Decimal(180),
        max_digits=9,
        decimal_places=6,
        help_text=_("For example 4.352500"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class BookingForm(forms.Form):
    slot = forms.ChoiceField(label=_("Time"), widget=forms.RadioSelect)
    msisdn = forms.CharField(
        label=_("Your mobile number"),
        max_length=32,
        help_text=_("We send the confirmation and the reference to this number by SMS."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(
        self, data: QueryDict | None = None, *, slot_choices: list[tuple[str, str]]
    ) -> None:
        super().__init__(data)
        slot_field = self.fields["slot"]
        assert isinstance(slot_field, forms.ChoiceField)
        slot_field.choices = slot_choices


class CancelForm(forms.Form):
    reference = forms.CharField(
        label=_("Booking reference"),
        max_length=16,
        help_text=_("The reference in your confirmation SMS, for example K7QH-4M2P."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
