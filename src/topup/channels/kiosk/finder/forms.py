"""Forms of the public kiosk finder: where the customer is."""

from __future__ import annotations

from decimal import Decimal

from django import forms
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
