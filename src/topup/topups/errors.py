"""Errors a customer (or staff refunding) can cause with top-ups; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed


class AmountBelowMinimum(ApplicationError):
    code = "amount_below_minimum"
    http_status = 422
    default_message = _("This amount is below the minimum top-up. Choose a higher amount.")


class AmountAboveLimit(ApplicationError):
    code = "amount_above_limit"
    http_status = 422
    default_message = _("This amount is above the maximum for one top-up. Choose a lower amount.")


class AmountNotOffered(ApplicationError):
    code = "amount_not_offered"
    http_status = 422
    default_message = _("This amount is not offered here. Choose one of the amounts shown.")


class InvalidAmount(ApplicationError):
    code = "invalid_amount"
    http_status = 422
    default_message = _("Enter the amount in euros, for example 10 or 12.50.")


class UnsupportedCurrency(ApplicationError):
    code = "unsupported_currency"
    http_status = 422
    default_message = _("Top-ups are in euros (EUR). Enter the amount in EUR.")


class DailyLimitReached(ApplicationError):
    code = "daily_limit_reached"
    http_status = 422
    default_message = _(
        "This top-up would go over today's limit. Try a smaller amount or try again tomorrow."
    )


class MonthlyLimitReached(ApplicationError):
    code = "monthly_limit_reached"
    http_status = 422
    default_message = _(
        "This top-up would go over this month's limit. Try a smaller amount or next month."
    )


class PaymentMethodUnavailable(ApplicationError):
    code = "payment_method_unavailable"
    http_status = 422
    default_message = _("This payment method is not available here. Choose another method.")


class ChannelUnavailable(ApplicationError):
    code = "channel_unavailable"
    http_status = 503
    default_message = _("Top-ups are not available on this channel right now. Try again later.")


class TopupNotFound(NotFound):
    code = "topup_not_found"
    default_message = _("We could not find this top-up. Check the reference in your receipt.")


class ReceiptNotAvailable(ApplicationError):
    code = "receipt_not_available"
    http_status = 409
    default_message = _("The receipt is available once the credit has arrived. Try again soon.")


class ReceiptResendNotAllowed(ApplicationError):
    code = "receipt_resend_not_allowed"
    http_status = 409
    default_message = _(
        "Only the receipt of a credited top-up can be sent again. Check the top-up's status."
    )


class ReceiptResendLimitReached(ApplicationError):
    code = "receipt_resend_limit_reached"
    http_status = 429
    default_message = _(
        "This receipt has been sent again too often. Give the customer the receipt number, or "
        "send the PDF receipt instead."
    )


class RefundNotPossible(Conflict):
    code = "refund_not_possible"
    default_message = _(
        "This top-up cannot be refunded to a payment method: it was paid at a shop counter or "
        "kiosk terminal, or it is not credited. Ask the shop to void the sale, or give goodwill "
        "credit instead."
    )


class RefundAboveRefundable(ValidationFailed):
    code = "refund_above_refundable"
    default_message = _(
        "The refund is more than what is left to refund on this top-up. Enter at most the "
        "amount shown."
    )


class RefundExceedsCredit(Conflict):
    code = "refund_exceeds_credit"
    default_message = _(
        "The line's paid credit is lower than this refund: the customer has used part of it. "
        "Refund at most the available amount, or give goodwill credit instead."
    )


class RefundAlreadyStarted(Conflict):
    code = "refund_already_started"
    default_message = _(
        "A refund of another amount was already started for this case and may have reached the "
        "payment provider. Retry it with the same amount."
    )


class RefundRefusedByProvider(Conflict):
    code = "refund_refused_by_provider"
    default_message = _(
        "The payment provider refused this refund. Give goodwill credit instead, or reject the "
        "case with a reason."
    )


class RefundProviderUnavailable(ApplicationError):
    code = "refund_provider_unavailable"
    http_status = 503
    default_message = _(
        "The payment provider cannot be reached right now. Nothing was refunded twice and the "
        "credit stays reserved for this refund; try again in a few minutes."
    )


class BulkFileInvalid(ValidationFailed):
    code = "bulk_file_invalid"
    default_message = _(
        "This file is not a list of top-ups. Use a UTF-8 CSV file whose first line names the "
        "columns msisdn,amount_cents,reference, with one top-up per line."
    )


class BulkFundingUnknown(ValidationFailed):
    code = "bulk_funding_unknown"
    default_message = _(
        "Choose who pays for these top-ups: 'promotions' for promotional credit, or "
        "'company:<customer reference>' for paid credit invoiced to a company."
    )


class BulkFileImportedFromOtherFunding(Conflict):
    code = "bulk_file_imported_from_other_funding"
    default_message = _(
        "This file was already imported from another funding account. Check the funding: "
        "importing it again from another account would credit every line a second time."
    )
