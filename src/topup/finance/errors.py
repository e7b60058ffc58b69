"""Errors a finance user can cause: a bad settlement file, an unknown provider, a double resolve."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import Conflict, NotFound, ValidationFailed


class SettlementReportInvalid(ValidationFailed):
    """The whole file is refused; `details` carries the row (None for the file) and the reason."""

    code = "settlement_report_invalid"
    default_message = _(
        "The settlement report is not valid, so nothing was imported. "
        "Correct the file and import it again."
    )


class SettlementReportTooLarge(ValidationFailed):
    code = "settlement_report_too_large"
    http_status = 413
    default_message = _("The file is larger than 20 MB, so nothing was imported. Split it by day.")


class SettlementProviderUnknown(ValidationFailed):
    code = "settlement_provider_unknown"
    default_message = _(
        "No payment provider has this name. Choose the provider whose report this is."
    )


class SettlementReportOtherProvider(Conflict):
    code = "settlement_report_other_provider"
    default_message = _(
        "This file was already imported for another payment provider. "
        "Check which provider's report it is."
    )


class SettlementReportNotFound(NotFound):
    code = "settlement_report_not_found"
    default_message = _("There is no settlement report with this number. Go back to the list.")


class ReconciliationItemNotFound(NotFound):
    code = "reconciliation_item_not_found"
    default_message = _("There is no reconciliation item with this number. Reload the report.")


class ReconciliationItemResolved(Conflict):
    code = "reconciliation_item_resolved"
    default_message = _("This difference was already resolved. Reload the report to see how.")


class ReconciliationReasonRequired(ValidationFailed):
    code = "reconciliation_reason_required"
    default_message = _(
        "Say why the difference is resolved (at most 255 characters), then try again."
    )
