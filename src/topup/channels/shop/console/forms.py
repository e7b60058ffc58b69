"""The console's forms: they read and bound what the agent types; the services decide the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.core.money import AmountParseError, parse_amount_cents

MSISDN_MAX_INPUT_CHARS = 32
DOCUMENT_MAX_INPUT_CHARS = 200  # three MRZ lines of 30 characters, with line breaks and spaces
CARD_NUMBER_MAX_INPUT_CHARS = 23

DOCUMENT_TYPES = [
    ("be_eid", _("Belgian eID card")),
    ("eu_id_card", _("EU identity card")),
    ("passport", _("Passport")),
    ("be_foreigner_card", _("Belgian foreigner's card")),
    ("temporary_document", _("Temporary replacement document")),
]
PAYMENT_METHODS = [("cash", _("Cash")), ("card", _("Card (payment terminal)"))]


AMOUNT_MAX_INPUT_CHARS = 16
_AMOUNT_INVALID = _("Type an amount in euros, for example 20 or 20,50.")


def _cents(text: str) -> int:
    """A euro amount as typed ("20", "20,50", "20.5") → integer cents."""
    try:
        return parse_amount_cents(text)
    except AmountParseError as error:
        raise forms.ValidationError(_AMOUNT_INVALID, code="invalid") from error


class WithoutValueInput(forms.TextInput):
    """A text box that never sends its value back to the browser (the terminal's card number)."""

    def format_value(self, value: object) -> str | None:
        return None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class CustomerSearchForm(forms.Form):
    msisdn = forms.CharField(
        label=_("Customer's mobile number"),
        max_length=MSISDN_MAX_INPUT_CHARS,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )


class IdentifyForm(forms.Form):
    msisdn = forms.CharField(
        label=_("Customer's mobile number"),
        max_length=MSISDN_MAX_INPUT_CHARS,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    document_type = forms.ChoiceField(label=_("Document type"), choices=DOCUMENT_TYPES)
    document_number = forms.CharField(
        label=_("Document number or MRZ lines"),
        max_length=DOCUMENT_MAX_INPUT_CHARS,
        help_text=_(
            "Type the number, or scan or type the machine-readable lines (MRZ) at the bottom "
            "of a passport or identity card, one line per row."
        ),
        widget=forms.Textarea(
            attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false", "class": "mono"}
        ),
    )
    issuing_country = forms.CharField(
        label=_("Issuing country"),
        max_length=3,
        required=False,
        help_text=_("Code as on the document: three letters such as BEL, NLD or FRA (Germany: D)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "short"}),
    )
    expires_on = forms.DateField(
        label=_("Expiry date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    national_register_number = forms.CharField(
        label=_("National register number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class TopupForm(forms.Form):
    msisdn = forms.CharField(
        label=_("Customer's mobile number"),
        max_length=MSISDN_MAX_INPUT_CHARS,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    amount = forms.CharField(
        label=_("Amount in euros"),
        max_length=AMOUNT_MAX_INPUT_CHARS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"), choices=PAYMENT_METHODS, initial="cash", widget=forms.RadioSelect
    )
    # Typed on the payment terminal (simulator), passed on to it and never stored.
    card_number = forms.CharField(
        label=_("Card number (typed on the terminal)"),
        max_length=CARD_NUMBER_MAX_INPUT_CHARS,
        required=False,
        widget=WithoutValueInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # One sale per form shown: submitting twice (double click, reload) sells once.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=True)

    def clean_amount(self) -> int:
        return _cents(str(self.cleaned_data["amount"]))

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if (
            cleaned is not None
            and cleaned.get("payment_method") == "card"
            and not cleaned.get("card_number")
        ):
            self.add_error(
                "card_number", _("Type the card number on the payment terminal, then confirm.")
            )
        return cleaned


class VoidRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why should this sale be voided?"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class TillCloseForm(forms.Form):
    counted = forms.CharField(
        label=_("Cash counted in the drawer, in euros"),
        max_length=AMOUNT_MAX_INPUT_CHARS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_counted(self) -> int:
        return _cents(str(self.cleaned_data["counted"]))
