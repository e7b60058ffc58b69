"""The customer screens' forms: they read and bound what staff type; services decide the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.channels.backoffice.customers.search import QUERY_MAX_CHARS

NAME_MAX_CHARS = 100
REASON_MAX_CHARS = 255


class CustomerSearchForm(forms.Form):
    query = forms.CharField(
        label=_("Mobile number, SIM card number (ICCID), receipt number or top-up id"),
        max_length=QUERY_MAX_CHARS,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class CorrectionForm(forms.Form):
    prefix = "correct"

    first_name = forms.CharField(label=_("First name"), max_length=NAME_MAX_CHARS, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=NAME_MAX_CHARS, required=False)
    reason = forms.CharField(
        label=_("Reason, and what you checked the new name against"),
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReidentifyForm(forms.Form):
    prefix = "reidentify"

    reason = forms.CharField(
        label=_("Why the customer must identify again"),
        help_text=_(
            "Top-ups and changes on the line are held until the customer identifies again "
            "online or in a shop."
        ),
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
