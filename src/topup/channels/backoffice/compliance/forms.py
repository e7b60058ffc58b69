"""The compliance screens' forms: they read and bound what staff type; the services decide."""

from __future__ import annotations

from typing import Final

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.compliance.models import CaseDecision, CaseKind, CaseStatus
from topup.compliance.services import MAX_REASON_LENGTH
from topup.core.errors import ApplicationError

ALL_KINDS: Final = ""


class CaseQueueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[(ALL_KINDS, _("All kinds")), *CaseKind.choices],
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=CaseStatus.choices)

    def chosen(self) -> tuple[str | None, str]:
        """(kind or None for every kind, status); open cases of every kind by default."""
        if not self.is_valid():
            return None, CaseStatus.OPEN
        kind = self.cleaned_data.get("kind") or None
        status = self.cleaned_data.get("status") or CaseStatus.OPEN
        return kind, status


class CaseDecideForm(forms.Form):
    """The decision and its reason as typed; the service refuses a missing reason, and its
    refusals come back on these fields."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=CaseDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        help_text=_("What you checked and why you decide this; kept with the case."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def add_service_error(self, error: ApplicationError) -> bool:
        """Show a service's refusal at the field it names; False when it names none of them."""
        field = str(error.details.get("field", ""))
        if field not in self.fields:
            return False
        self.add_error(field, str(error.message))
        return True


DRY_RUN: Final = "dry_run"
ERASE: Final = "erase"


class RetentionRunForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(DRY_RUN, _("Dry run: report only")), (ERASE, _("Erase what is due"))]
    )

    def dry_run(self) -> bool:
        return self.cleaned_data["mode"] == DRY_RUN
