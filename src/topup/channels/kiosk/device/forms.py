"""The kiosk screens' forms: each field labelled; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

MAX_CARD_NUMBER_LENGTH = 23  # 19 digits and the spaces people type between groups
MAX_MSISDN_LENGTH = 32


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=[(code, code) for code, _name in settings.LANGUAGES]
    )


class CardInsertForm(forms.Form):
    """The card-reader simulator: what a real reader would read from the chip."""

    card_number = forms.CharField(
        label=_("Card number (simulated card reader)"),
        max_length=MAX_CARD_NUMBER_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class NumberForm(forms.Form):
    msisdn = forms.CharField(
        label=_("Mobile number to top up"), max_length=MAX_MSISDN_LENGTH, required=False
    )
    own = forms.BooleanField(required=False)

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if cleaned is not None and not cleaned.get("own") and not cleaned.get("msisdn"):
            self.add_error(
                "msisdn", _("Type the mobile number to top up, for example 0470 12 34 56.")
            )
        return cleaned


class AmountForm(forms.Form):
    amount_cents = forms.TypedChoiceField(label=_("Amount"), coerce=int, choices=[])

    def __init__(self, data: QueryDict | None = None, *, denominations_cents: list[int]) -> None:
        super().__init__(data)
        field = self.fields["amount_cents"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(str(cents), str(cents)) for cents in denominations_cents]


class PayForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
