"""The disputes screens' forms: they read and bound what staff type; the services decide."""

from __future__ import annotations

from typing import Final

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError
from topup.core.money import AmountParseError, parse_amount_cents
from topup.disputes.models import NOTE_MAX_CHARS, DisputeOutcome, DisputeStatus

AMOUNT_MAX_INPUT_CHARS: Final = 16

# The queue's default: what still needs someone (an answer, or the second pair of eyes).
ACTIVE: Final = "active"
ALL: Final = "all"


class DisputeQueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (ACTIVE, _("Open or awaiting approval")),
            *DisputeStatus.choices,
            (ALL, _("All")),
        ],
    )

    def chosen(self) -> str:
        """The chosen status, ALL, or ACTIVE (the default, also for an unknown value)."""
        value = self.cleaned_data.get("status") if self.is_valid() else None
        return value if isinstance(value, str) and value else ACTIVE


def euro_amount_cents(text: str) -> int:
    """A euro amount as staff type it ("12,50", "12.50", "12") → integer cents; strictly.

    Refuses signs, thousands separators, letters and more than two decimals."""
    try:
        return parse_amount_cents(text)
    except AmountParseError as error:
        raise forms.ValidationError(
            _("Type an amount in euros with at most two decimals, for example 12,50."),
            code="invalid",
        ) from error


class DisputeResolveForm(forms.Form):
    """Outcome, amount and note as typed; the service checks the decision (amount needed for a
    refund or goodwill, a note for a rejection) and its refusals come back on these fields."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DisputeOutcome.choices, widget=forms.RadioSelect
    )
    amount = forms.CharField(
        label=_("Amount (euros)"),
        required=False,
        max_length=AMOUNT_MAX_INPUT_CHARS,
        help_text=_("For example 12,50 or 12.50. Needed for a refund or goodwill credit."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_CHARS,
        help_text=_(
            "Why you decide this; kept with the case. For a rejection the customer reads it."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_amount(self) -> int | None:
        text = str(self.cleaned_data.get("amount") or "").strip()
        return euro_amount_cents(text) if text else None

    def add_service_error(self, error: ApplicationError) -> bool:
        """Show a service's refusal at the field it names; False when it names none of them."""
        field = _SERVICE_FIELDS.get(str(error.details.get("field", "")))
        if field is None:
            return False
        self.add_error(field, str(error.message))
        return True


# The services name the field they refuse by its model name.
_SERVICE_FIELDS: Final = {"outcome": "outcome", "amount_cents": "amount", "note": "note"}
