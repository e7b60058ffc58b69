"""The finance screens' forms: they read and bound what staff send; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django import forms
from django.utils.translation import gettext_lazy as _

from topup.finance.selectors import finance_today
from topup.finance.services import MAX_REASON_CHARS
from topup.finance.settlement_csv import MAX_REPORT_BYTES

POST_TRANSFER: Final = "transfer"
NO_TRANSFER: Final = "none"
DEFAULT_PROVIDER: Final = "simulator"


class SettlementUploadForm(forms.Form):
    provider = forms.CharField(label=_("Payment provider"), max_length=32, initial=DEFAULT_PROVIDER)
    report = forms.FileField(label=_("Settlement report (CSV)"))

    def clean_report(self) -> bytes:
        upload = self.cleaned_data["report"]
        if upload.size is None or upload.size > MAX_REPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB. Import one day at a time."),
                code="too_large",
                params={"limit": MAX_REPORT_BYTES // 2**20},
            )
        content = upload.read(MAX_REPORT_BYTES + 1)
        assert isinstance(content, bytes)
        return content

    def filename(self) -> str:
        upload = self.files.get("report")
        return str(getattr(upload, "name", "") or "report.csv")


class ReconciliationResolveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON_CHARS,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    action = forms.ChoiceField(
        label=_("Money"),
        choices=[
            (POST_TRANSFER, _("Post the difference to the clearing account")),
            (NO_TRANSFER, _("No transfer (e.g. timing: it appears in the next report)")),
        ],
        initial=POST_TRANSFER,
        widget=forms.RadioSelect,
    )

    def with_transfer(self) -> bool:
        return bool(self.cleaned_data["action"] == POST_TRANSFER)


class DayForm(forms.Form):
    """A Brussels day, not after today; today when none is given."""

    date = forms.DateField(
        label=_("Day"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_date(self) -> dt.date:
        day = self.cleaned_data.get("date") or finance_today()
        if day > finance_today():
            raise forms.ValidationError(_("Choose a day that is not after today."), code="future")
        return day

    def day(self) -> dt.date:
        assert self.is_valid()
        day = self.cleaned_data["date"]
        assert isinstance(day, dt.date)
        return day
