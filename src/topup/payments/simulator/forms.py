"""The hosted page's forms: a card form and an approve/decline form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.payments.simulator.cards import card_number_normalise


class CardForm(forms.Form):
    card_number = forms.CharField(label=_("Card number"), max_length=40)
    expiry = forms.CharField(label=_("Expiry (MM/YY)"), max_length=7, required=False)
    cvc = forms.CharField(label=_("CVC"), max_length=4, required=False)

    def clean_card_number(self) -> str:
        digits = card_number_normalise(self.cleaned_data["card_number"])
        if digits is None:
            raise forms.ValidationError(
                _("This card number is not valid. Check the digits and try again."),
                code="invalid_card_number",
            )
        return digits


class WalletForm(forms.Form):
    APPROVE = "approve"
    DECLINE = "decline"

    action = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (DECLINE, _("Decline"))])
