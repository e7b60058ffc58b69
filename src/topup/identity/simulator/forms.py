"""The simulator's consent form: which demo identity the tester confirms, or a refusal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.identity.simulator.personas import PERSONAS


class ConsentForm(forms.Form):
    APPROVE = "approve"
    REFUSE = "refuse"

    persona = forms.ChoiceField(
        label=_("Demo identity"),
        choices=[(p.key, f"{p.given_name} {p.family_name}") for p in PERSONAS],
        widget=forms.RadioSelect,
        required=False,
    )
    action = forms.ChoiceField(choices=[(APPROVE, _("Confirm")), (REFUSE, _("Refuse"))])

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if self.cleaned_data.get("action") == self.APPROVE and not self.cleaned_data.get("persona"):
            self.add_error("persona", _("Choose the identity to confirm, or refuse."))
        return cleaned
