"""Errors a shop agent can meet while printing: the printer is off, unplugged or out of paper."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError


class PrinterUnavailable(ApplicationError):
    code = "printer_unavailable"
    http_status = 503
    default_message = _(
        "The receipt printer did not answer. The receipt is available as PDF: download it "
        "instead, then check the printer's power, paper and cable."
    )
