"""Errors a customer can cause when topping up; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, NotFound


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
